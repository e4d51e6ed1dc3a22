"""Symphony: an LLM control tower."""

__version__ = "0.1.0"
