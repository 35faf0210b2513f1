"""copyplate.renderers.copy."""
