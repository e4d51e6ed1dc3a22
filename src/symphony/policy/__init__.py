"""Symphony policy package."""
