"""Symphony metrics package."""
