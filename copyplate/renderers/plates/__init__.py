"""copyplate.renderers.plates."""
