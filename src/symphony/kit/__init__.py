"""The bottom layer's small tools: ids and the one token estimator (no symphony imports)."""
