"""copyplate.reports."""
