"""Jira Cloud REST v3: issues with Atlassian Document Format, transitions by name, remote links."""
