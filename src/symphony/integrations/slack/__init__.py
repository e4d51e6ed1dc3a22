"""Slack incoming webhooks (200 with a plain-text `ok`; errors are plain text too)."""
