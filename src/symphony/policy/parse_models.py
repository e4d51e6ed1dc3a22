"""policy.models[] entries: quota types, endpoint, price."""

from __future__ import annotations

from typing import Any, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from symphony.policy.durations import parse_clock, parse_duration
from symphony.policy.fields import Fields
from symphony.policy.model import (
    Capability,
    DynamicQuota,
    Endpoint,
    FixedEveryQuota,
    FixedQuota,
    HeaderDrivenQuota,
    MaxTokensParam,
    ModelClass,
    ModelKind,
    ModelSpec,
    Price,
    Protocol,
    Quota,
    QuotaUnit,
    RollingQuota,
)
from symphony.policy.problems import Path, Problems

UNITS: tuple[QuotaUnit, ...] = get_args(QuotaUnit)
PROTOCOLS: tuple[Protocol, ...] = get_args(Protocol)
MODEL_CLASSES: tuple[ModelClass, ...] = get_args(ModelClass)
LOCAL_PROVIDERS = frozenset({"local", "ollama", "litellm", "vllm", "lmstudio"})
MODEL_KEYS = (
    "name",
    "class",
    "provider",
    "endpoint",
    "quota",
    "allow_tasks",
    "loa_max",
    "price",
    "context_window",
    "reserve_fraction",
    "latency_hint_ms",
    "kind",
    "capabilities",
    "max_tokens",
    "max_output_tokens",
    "max_tokens_param",
)
CAPABILITIES: tuple[Capability, ...] = get_args(Capability)
KINDS: tuple[ModelKind, ...] = get_args(ModelKind)
TOKEN_PARAMS: tuple[MaxTokensParam, ...] = get_args(MaxTokensParam)
QUOTA_KEYS = {
    "rolling": ("type", "window", "anchor", "align", "unit", "cap", "weekly_cap"),
    "fixed": ("type", "period", "tz", "at", "units", "cap"),
    "fixed_every": ("type", "period", "unit", "cap"),
    "header_driven": ("type", "unit", "cap", "window"),
    "dynamic": ("type", "unit"),
}


def check_zone(problems: Problems, path: Path, name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(path, f"unknown time zone '{name}' (use an IANA name like America/Denver)")
        return False
    return True


def duration_at(problems: Problems, path: Path, value: object) -> Any:
    try:
        return parse_duration(value)
    except ValueError as exc:
        problems.add(path, str(exc))
        return None


def _required_duration(problems: Problems, f: Fields, key: str) -> Any:
    if not f.has(key):
        problems.add(f.at(key), "is required (a duration such as 3h, 90m or 60s)")
        return None
    return duration_at(problems, f.at(key), f.raw(key))


def parse_quota(problems: Problems, raw: object, path: Path) -> Quota:
    if raw is None:
        return DynamicQuota()
    kind = raw.get("type") if isinstance(raw, dict) else None
    # The seed writes header-driven windows as `type: rolling, window: header_driven`.
    if kind == "rolling" and isinstance(raw, dict) and raw.get("window") == "header_driven":
        kind = "header_driven"
    if kind not in QUOTA_KEYS:
        allowed = "|".join(QUOTA_KEYS)
        problems.add((*path, "type"), f"invalid quota type {kind!r} (expected {allowed})")
        return DynamicQuota()
    f = Fields(problems, raw, path, QUOTA_KEYS[kind])
    # Subscriptions count messages; every other quota counts requests unless told.
    default_unit: QuotaUnit = "messages" if kind == "rolling" else "requests"
    unit = f.choice("unit", UNITS, default_unit)
    if kind == "rolling":
        window = _required_duration(problems, f, "window")
        cap, cap_source = f.cap("cap")
        weekly, weekly_source = f.cap("weekly_cap")
        return RollingQuota(
            window=window if window is not None else parse_duration("1h"),
            anchor=f.choice("anchor", ("sliding", "first_use"), "sliding"),
            align=f.choice("align", ("none", "hour"), "none"),
            unit=unit,
            cap=cap,
            cap_source=cap_source,  # type: ignore[arg-type]
            weekly_cap=weekly,
            weekly_tracked=weekly is not None or weekly_source != "unknown",
        )
    if kind == "fixed":
        tz = f.string("tz", "UTC") or "UTC"
        check_zone(problems, f.at("tz"), tz)
        at = parse_clock("00:00")
        if f.has("at"):
            try:
                at = parse_clock(f.raw("at"))
            except ValueError as exc:
                problems.add(f.at("at"), str(exc))
        units = Fields(problems, f.raw("units"), f.at("units"), ("rpd", "tpd"))
        rpd, rpd_source = units.cap("rpd")
        tpd, _ = units.cap("tpd")
        if f.has("cap") and rpd is None:
            rpd, rpd_source = f.cap("cap")
        return FixedQuota(
            period=f.choice("period", ("daily", "weekly", "monthly"), "daily"),
            tz=tz,
            at=at,
            rpd=rpd,
            tpd=tpd,
            cap_source="configured" if rpd is not None or tpd is not None else rpd_source,  # type: ignore[arg-type]
        )
    if kind == "fixed_every":
        period = _required_duration(problems, f, "period")
        cap, _ = f.cap("cap")
        return FixedEveryQuota(
            period=period if period is not None else parse_duration("60s"), unit=unit, cap=cap
        )
    if kind == "header_driven":
        return HeaderDrivenQuota(unit=unit)
    return DynamicQuota(unit=unit)


def parse_endpoint(problems: Problems, raw: object, path: Path) -> Endpoint | None:
    if raw is None:
        return None
    f = Fields(problems, raw, path, ("protocol", "base_url", "model", "api_key_env"))
    protocol = f.choice("protocol", PROTOCOLS, "openai")
    base_url = f.string("base_url", required=True) or ""
    if base_url and not base_url.startswith(("http://", "https://")):
        problems.add(
            f.at("base_url"), f"base_url must start with http:// or https://, got '{base_url}'"
        )
    model = f.string("model", required=True) or ""
    key_env = f.string("api_key_env")
    if key_env is not None and not key_env.replace("_", "").isalnum():
        problems.add(f.at("api_key_env"), "must be the NAME of an environment variable, not a key")
    return Endpoint(
        protocol=protocol, base_url=base_url.rstrip("/"), model=model, api_key_env=key_env
    )


def parse_price(problems: Problems, raw: object, path: Path) -> Price | None:
    if raw is None:
        return None
    f = Fields(problems, raw, path, ("prompt", "completion"))
    prompt = f.number("prompt", 0.0)
    completion = f.number("completion", 0.0)
    return Price(prompt=prompt or 0.0, completion=completion or 0.0)


def parse_model(problems: Problems, raw: object, path: Path) -> ModelSpec | None:
    f = Fields(problems, raw, path, MODEL_KEYS)
    if not f.ok:
        return None
    name = f.string("name", required=True)
    if not name:
        return None
    if "/" not in name:
        problems.add(f.at("name"), f"model name '{name}' must look like provider/model")
    provider = f.string("provider") or name.split("/", 1)[0]
    default_class: ModelClass = "local" if provider in LOCAL_PROVIDERS else "hosted"
    model_class = f.choice("class", MODEL_CLASSES, default_class)
    price = parse_price(problems, f.raw("price"), f.at("price"))
    if price is None and model_class == "local":
        price = Price(0.0, 0.0)
    endpoint = parse_endpoint(problems, f.raw("endpoint"), f.at("endpoint"))
    kind = f.choice("kind", KINDS, "chat")
    if kind == "embedding" and endpoint is not None and endpoint.protocol == "anthropic":
        problems.add(f.at("kind"), "the anthropic protocol has no embeddings endpoint")
    capabilities = _capabilities(problems, f)
    max_tokens = f.integer("max_tokens", None, minimum=1)
    max_output = f.integer("max_output_tokens", None, minimum=1)
    if max_tokens is not None and max_output is not None and max_tokens > max_output:
        problems.add(
            f.at("max_tokens"), f"{max_tokens} is above the model's max_output_tokens {max_output}"
        )
    param: MaxTokensParam | None = (
        f.choice("max_tokens_param", TOKEN_PARAMS, "max_tokens")
        if f.has("max_tokens_param")
        else None
    )
    return ModelSpec(
        name=name,
        provider=provider,
        model_class=model_class,
        quota=parse_quota(problems, f.raw("quota"), f.at("quota")),
        endpoint=endpoint,
        allow_tasks=f.strings("allow_tasks"),
        loa_max=f.integer("loa_max", 2) or 0,
        price=price,
        context_window=f.integer("context_window", None, minimum=1),
        reserve_fraction=f.number("reserve_fraction", None, maximum=1.0),
        latency_hint_ms=f.number("latency_hint_ms", None),
        kind=kind,
        capabilities=capabilities,
        max_tokens=max_tokens,
        max_output_tokens=max_output,
        max_tokens_param=param,
    )


def _capabilities(problems: Problems, f: Fields) -> tuple[Capability, ...] | None:
    if not f.has("capabilities"):
        return None
    names = f.strings("capabilities")
    found: list[Capability] = []
    for i, name in enumerate(names):
        if name in CAPABILITIES:
            found.append(name)
        else:
            problems.add(
                (*f.at("capabilities"), str(i)),
                f"unknown capability '{name}' (expected one of: {', '.join(CAPABILITIES)})",
            )
    return tuple(found)


def implied_model(name: str) -> ModelSpec:
    """A model named only by a tenant (the operator-kit shape): tracked, not executable."""
    provider = name.split("/", 1)[0]
    local = provider in LOCAL_PROVIDERS
    return ModelSpec(
        name=name,
        provider=provider,
        model_class="local" if local else "hosted",
        quota=DynamicQuota(),
        price=Price(0.0, 0.0) if local else None,
    )
