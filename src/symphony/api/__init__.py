"""Symphony api package."""
