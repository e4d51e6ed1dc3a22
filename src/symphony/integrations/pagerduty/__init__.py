"""PagerDuty Events API v2: trigger, then resolve with the same routing_key and dedup_key."""
