"""Governance: kill switch, two-person approval of policy changes, privacy at the edges."""
