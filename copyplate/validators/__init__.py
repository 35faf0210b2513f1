"""copyplate.validators."""
