"""SLO evaluation, incident lifecycle and the durable outbox of ticket and notify actions."""
