"""Outside systems Symphony files tickets in and notifies: GitHub, Jira, Slack, PagerDuty.

`base.py` holds the capabilities (Ticketing, Chat, Paging); each vendor folder has
`config.py` (settings from the environment), `client.py` (the wire calls), `service.py`
(the capability over the client) and `fake.py` (an in-process fake speaking the wire format).
"""
