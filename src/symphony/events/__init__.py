"""Symphony events package."""
