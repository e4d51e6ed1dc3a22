"""Actions that must audit, publish and count together, each done in one place."""
