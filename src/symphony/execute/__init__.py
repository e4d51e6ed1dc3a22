"""Symphony execute package."""
