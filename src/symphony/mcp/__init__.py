"""The MCP face: Symphony's tools and resources over the Model Context Protocol at `/mcp/`.

A second face beside the REST API, over the same `Services` (plan, execute, the Model
Matrix, health, burndown, incidents, audit), behind the same key, role and tenant rules.
See docs/mcp.md.
"""
