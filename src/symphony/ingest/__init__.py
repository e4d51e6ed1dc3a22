"""Web ingest: SSRF-guarded fetches (HTTP and Chromium), robots.txt, extraction, snapshots."""
