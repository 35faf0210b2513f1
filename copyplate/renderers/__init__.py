"""copyplate.renderers."""
