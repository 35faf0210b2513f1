"""copyplate.layouts."""
