"""Typed wire contracts: every body the API sends, as strict pydantic models.

The routes keep serialising with orjson (the hot path stays fast); these models exist so
`/openapi.json` describes every response and the tests can check that what a route sends
validates against what it declares. One module per area; `base` has the shared helpers.
"""
