"""Alertmanager's webhook payload (version 4), as Alertmanager 0.25 sends it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# While an alert fires, Alertmanager sends the zero time as its end.
ZERO_TIME_YEAR = 1


class AmAlert(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime = Field(alias="endsAt")
    generator_url: str = Field("", alias="generatorURL")
    fingerprint: str = Field(min_length=1)

    @property
    def starts(self) -> datetime:
        return self.starts_at.astimezone(UTC)

    @property
    def ends(self) -> datetime | None:
        """None while firing (`0001-01-01T00:00:00Z`)."""
        if self.ends_at.year <= ZERO_TIME_YEAR:
            return None
        return self.ends_at.astimezone(UTC)

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "alert")


class AlertmanagerPayload(BaseModel):
    """`POST /integrations/alertmanager` body: one group of alerts."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    version: Literal["4"]
    group_key: str = Field(alias="groupKey")
    truncated_alerts: int = Field(0, alias="truncatedAlerts", ge=0)
    status: Literal["firing", "resolved"]
    receiver: str
    group_labels: dict[str, str] = Field(default_factory=dict, alias="groupLabels")
    common_labels: dict[str, str] = Field(default_factory=dict, alias="commonLabels")
    common_annotations: dict[str, str] = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field("", alias="externalURL")
    alerts: list[AmAlert]
