"""Symphony routing package."""
