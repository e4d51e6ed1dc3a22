"""Symphony security package."""
