"""Symphony windows package."""
