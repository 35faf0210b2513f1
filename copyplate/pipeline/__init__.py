"""copyplate.pipeline."""
