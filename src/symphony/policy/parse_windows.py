"""config/model.windows.yml: per-model power-window schedules and drift actions."""

from __future__ import annotations

from collections.abc import Mapping

from symphony.policy.durations import parse_clock
from symphony.policy.fields import Fields
from symphony.policy.model import DriftAction, ModelSchedule, ScheduleSlot
from symphony.policy.parse_models import check_zone, duration_at
from symphony.policy.problems import Problems

# The seed's window keys and the default policy models they describe (documented in
# docs/policy.md). An entry's own `model:` field always wins over this table.
SEED_KEY_TO_MODEL: Mapping[str, str] = {
    "chatgpt_plus": "openai/chatgpt-plus",
    "claude_pro": "anthropic/claude-pro",
    "gemini_api": "google/gemini-pro",
    "gemini_apps": "google/gemini-apps",
    "grok_live_search": "xai/grok",
    "perplexity_sonar": "perplexity/api",
    "deepseek_api": "deepseek/api",
    "venice_api": "venice/api",
}
ACTIONS: tuple[DriftAction | None, ...] = ("shift_to_next_reset", "phase_lock")
DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def parse_windows_doc(problems: Problems, doc: object, default_tz: str) -> list[ModelSchedule]:
    f = Fields(problems, doc, (), ("timezone", "models"))
    tz = f.string("timezone", default_tz) or default_tz
    if not check_zone(problems, f.at("timezone"), tz):
        tz = default_tz
    models = f.raw("models") or {}
    if not isinstance(models, dict):
        problems.add(f.at("models"), "expected a mapping of model keys")
        return []
    schedules: list[ModelSchedule] = []
    for key, raw in models.items():
        path = ("models", str(key))
        entry = Fields(problems, raw, path, ("model", "schedule", "dynamic", "tz"))
        model = entry.string("model") or SEED_KEY_TO_MODEL.get(str(key))
        if model is None:
            problems.add(path, f"no policy model for '{key}': add `model: provider/name`")
            continue
        entry_tz = entry.string("tz", tz) or tz
        check_zone(problems, entry.at("tz"), entry_tz)
        slots: list[ScheduleSlot] = []
        raw_slots = entry.raw("schedule") or []
        if not isinstance(raw_slots, list):
            problems.add(entry.at("schedule"), "expected a list")
            raw_slots = []
        for i, slot_raw in enumerate(raw_slots):
            slot = _parse_slot(problems, slot_raw, (*path, "schedule", i))
            if slot is not None:
                slots.append(slot)
        dynamic = Fields(
            problems, entry.raw("dynamic"), entry.at("dynamic"), ("detector", "action")
        )
        action = dynamic.choice("action", ACTIONS, None)
        schedules.append(
            ModelSchedule(
                key=str(key),
                model=model,
                tz=entry_tz,
                slots=tuple(slots),
                detector=dynamic.string("detector"),
                action=action,
            )
        )
    return schedules


def _parse_slot(
    problems: Problems, raw: object, path: tuple[str | int, ...]
) -> ScheduleSlot | None:
    f = Fields(problems, raw, path, ("days", "at", "duration"))
    if not f.ok:
        return None
    days: set[int] = set()
    for i, day in enumerate(f.strings("days") or tuple(DAYS)):
        index = DAYS.get(day.strip().lower()[:3])
        if index is None:
            problems.add((*path, "days", i), f"unknown day '{day}' (use Mon..Sun)")
        else:
            days.add(index)
    try:
        at = parse_clock(f.raw("at"))
    except ValueError as exc:
        problems.add(f.at("at"), str(exc))
        return None
    duration = duration_at(problems, f.at("duration"), f.raw("duration") or "")
    if duration is None:
        return None
    return ScheduleSlot(days=frozenset(days), at=at, duration=duration)
