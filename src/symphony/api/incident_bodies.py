"""Request bodies of the incident routes (contracts/ holds only response models)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class IncidentIn(BaseModel):
    """A hand-filed incident (the VS Code "File Incident" command sends exactly these)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Checkout answers take 30 s",
                    "body": "Seen from the IDE at 17:02; p95 jumped after the policy reload.",
                    "severity": "p2",
                }
            ]
        },
    )
    title: str = Field(min_length=1, max_length=200)
    body: str = Field("", max_length=20_000)
    severity: str = Field("p2", min_length=1, max_length=40)
    labels: list[str] = Field(default_factory=list, max_length=20)


class ResolveIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "fixed by rolling back"}]}
    )
    note: str | None = Field(None, max_length=2000)


class GitHubIssueIn(BaseModel):
    """The operator kit's ad-hoc ticket: created through the outbox (retried, once)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "incident",
                    "title": "Rotate the Jira token",
                    "body": "Expires on Friday.",
                    "labels": ["ops"],
                }
            ]
        },
    )
    kind: Literal["incident", "epic"] = "incident"
    title: str = Field(min_length=1, max_length=200)
    body: str = Field("", max_length=20_000)
    labels: list[str] = Field(default_factory=list, max_length=20)
