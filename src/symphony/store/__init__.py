"""Symphony store package."""
