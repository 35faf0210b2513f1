"""copyplate: design assets whose copy is proven right."""

__version__ = "0.1.0"
