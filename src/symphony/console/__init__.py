"""Symphony console package."""
