"""Both seed shapes load, the shipped default passes, and the snapshot holds what they say."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from symphony.errors import PolicyError
from symphony.policy.loader import load_policy, load_policy_files
from symphony.policy.model import (
    DynamicQuota,
    Endpoint,
    FixedEveryQuota,
    FixedQuota,
    HeaderDrivenQuota,
    PolicySnapshot,
    Price,
    RollingQuota,
)
from symphony.policy.parse_windows import SEED_KEY_TO_MODEL

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "policies"
SHIPPED_POLICY = ROOT / "config" / "router.policy.yml"
SHIPPED_WINDOWS = ROOT / "config" / "model.windows.yml"
ALL_DAYS = frozenset(range(7))
WEEKDAYS = frozenset(range(5))


def _load(policy: str, windows: str | None = None) -> PolicySnapshot:
    return load_policy_files(FIXTURES / policy, FIXTURES / windows if windows else None)


def test_control_tower_seed_loads_with_every_quota_shape() -> None:
    snap = _load("seed_control_tower.yml", "seed_windows.yml")
    assert snap.declared_version == "2"
    assert snap.defaults.stream is True
    assert snap.defaults.reserve_fraction == 0.20
    assert snap.defaults.max_sla_ms == 6000
    assert snap.defaults.timezone == "America/Denver"  # the default
    assert [m.name for m in snap.models] == [
        "openai/chatgpt-plus",
        "google/gemini-pro",
        "anthropic/claude-pro",
        "xai/grok",
        "perplexity/api",
        "deepseek/api",
        "venice/api",
    ]
    plus = snap.model("openai/chatgpt-plus")
    assert plus is not None
    assert plus.quota == RollingQuota(
        window=timedelta(hours=3), unit="messages", cap=None, cap_source="from_console"
    )
    assert plus.allow_tasks == ("chat", "ideation", "code-review")
    assert plus.loa_max == 1
    assert plus.model_class == "hosted"
    assert plus.endpoint is None
    assert not plus.executable
    gemini = snap.model("google/gemini-pro")
    assert gemini is not None
    assert gemini.quota == FixedQuota(
        period="daily",
        tz="America/Los_Angeles",
        at=time(0, 0),
        rpd=None,
        tpd=None,
        cap_source="from_console",
    )
    claude = snap.model("anthropic/claude-pro")
    assert claude is not None
    assert isinstance(claude.quota, RollingQuota)
    assert claude.quota.window == timedelta(hours=5)
    assert claude.quota.weekly_cap is None
    assert claude.quota.weekly_tracked is True  # `weekly_cap: optional`
    # The seed's `type: rolling, window: header_driven` is a header-driven quota.
    assert snap.model("xai/grok").quota == HeaderDrivenQuota(unit="requests")  # type: ignore[union-attr]
    assert snap.model("venice/api").quota == HeaderDrivenQuota(unit="requests")  # type: ignore[union-attr]
    assert snap.model("perplexity/api").quota == FixedEveryQuota(  # type: ignore[union-attr]
        period=timedelta(seconds=60), unit="requests", cap=None
    )
    assert snap.model("deepseek/api").quota == DynamicQuota()  # type: ignore[union-attr]
    assert snap.model("deepseek/api").loa_max == 0  # type: ignore[union-attr]

    (rule,) = snap.routing_rules
    assert rule.name == "rule[0] qa"
    assert (rule.task, rule.loa, rule.tenant) == ("qa", 1, None)
    assert rule.route.prefer == ("openai/chatgpt-plus", "anthropic/claude-pro")
    assert rule.route.fallback == ("google/gemini-pro",)
    assert rule.route.max_cost_usd == 0.50
    assert rule.route.stream is True
    assert rule.route.context_budget_tokens == 32000

    schema = snap.overrides_schema
    assert (schema.temperature_min, schema.temperature_max) == (0.0, 1.5)
    assert schema.tools_allowed == ("browser", "code", "graph")
    assert "deepseek" in schema.provider_hints
    # No tenants in this shape: a default tenant exists with the widest model LOA.
    assert list(snap.tenants) == ["default"]
    assert snap.tenants["default"].loa_max == 1
    assert snap.tenants["default"].allows("venice/api")


def test_seed_windows_map_every_seed_key_to_its_policy_model() -> None:
    snap = _load("seed_control_tower.yml", "seed_windows.yml")
    mapping = {k: v for k, v in SEED_KEY_TO_MODEL.items() if k != "gemini_apps"}
    assert {s.key: s.model for s in snap.schedules.values()} == mapping
    plus = snap.schedules["openai/chatgpt-plus"]
    assert plus.tz == "America/Denver"
    assert [s.at for s in plus.slots] == [time(h, 5) for h in (6, 9, 12, 15, 18, 21)]
    assert {s.duration for s in plus.slots} == {timedelta(minutes=25)}
    assert {s.days for s in plus.slots} == {ALL_DAYS}
    assert (plus.detector, plus.action) == ("chatgpt_ui", "shift_to_next_reset")
    claude = snap.schedules["anthropic/claude-pro"]
    assert [s.at for s in claude.slots] == [time(5), time(10), time(15), time(20)]
    assert claude.slots[0].duration == timedelta(minutes=55)
    assert claude.action == "phase_lock"
    gemini = snap.schedules["google/gemini-pro"]
    assert [(s.at, s.duration) for s in gemini.slots] == [
        (time(1, 5), timedelta(minutes=90)),
        (time(13, 0), timedelta(minutes=30)),
    ]
    assert gemini.action is None
    grok = snap.schedules["xai/grok"]
    assert {s.days for s in grok.slots} == {WEEKDAYS}
    assert snap.files == (
        str(FIXTURES / "seed_control_tower.yml"),
        str(FIXTURES / "seed_windows.yml"),
    )


def test_operator_kit_seed_loads_tenants_and_implied_models() -> None:
    snap = _load("seed_operator_kit.yml")
    tenant = snap.tenants["default"]
    assert tenant.loa_max == 2
    assert tenant.context_tokens_max == 64000
    assert tenant.allow_models == ("local/ollama", "gemini/1.5-pro", "xai/grok-code-fast-1")
    assert not tenant.allows("openai/gpt-4o")
    first, second = tenant.power_windows
    assert first.model == "gemini/1.5-pro"
    assert first.when_cron == "0 18 * * 1-5"
    assert first.duration == timedelta(hours=1)  # no duration in the seed: one hour
    assert first.tz is None  # the policy timezone applies
    assert (first.max_usd_per_window, first.rpm_cap) == (0.20, 2)
    assert second.when_cron == "0 02 * * *"
    # Models named only by tenants are tracked (windows, recommendations), not executable.
    assert [m.name for m in snap.models] == [
        "gemini/1.5-pro",
        "local/ollama",
        "xai/grok-code-fast-1",
    ]
    ollama = snap.model("local/ollama")
    assert ollama is not None
    assert ollama.model_class == "local"
    assert ollama.price == Price(0.0, 0.0)
    gemini = snap.model("gemini/1.5-pro")
    assert gemini is not None
    assert gemini.model_class == "hosted"
    assert gemini.price is None
    assert gemini.quota == DynamicQuota()
    assert not any(m.executable for m in snap.models)
    assert snap.schedules == {}
    assert snap.files == (str(FIXTURES / "seed_operator_kit.yml"),)


def test_both_shapes_in_one_file_merge() -> None:
    combined = (
        (FIXTURES / "seed_control_tower.yml").read_text()
        + "\n"
        + "\n".join(
            line.replace("gemini/1.5-pro", "google/gemini-pro")
            .replace("xai/grok-code-fast-1", "xai/grok")
            .replace("local/ollama", "deepseek/api")
            for line in (FIXTURES / "seed_operator_kit.yml").read_text().splitlines()
        )
    )
    snap = load_policy(combined, windows_text=(FIXTURES / "seed_windows.yml").read_text())
    assert len(snap.models) == 7
    assert len(snap.schedules) == 7
    assert [w.model for w in snap.tenants["default"].power_windows] == [
        "google/gemini-pro",
        "xai/grok",
    ]


def test_seed_windows_need_the_models_they_name() -> None:
    with pytest.raises(PolicyError) as err:
        _load("seed_operator_kit.yml", "seed_windows.yml")
    assert len(err.value.errors) == 7
    assert err.value.errors[0] == (
        f"{FIXTURES / 'seed_windows.yml'}:4: models.chatgpt_plus: "
        "schedule names unknown model 'openai/chatgpt-plus'"
    )


def test_shipped_default_policy_passes_and_covers_the_seed_models() -> None:
    snap = load_policy_files(SHIPPED_POLICY, SHIPPED_WINDOWS)
    names = [m.name for m in snap.models]
    assert names == [
        "local/ollama",
        "litellm/proxy",
        "openai/chatgpt-plus",
        "anthropic/claude-pro",
        "google/gemini-apps",
        "google/gemini-pro",
        "xai/grok",
        "perplexity/api",
        "deepseek/api",
        "venice/api",
    ]
    assert snap.model("local/ollama").endpoint == Endpoint(  # type: ignore[union-attr]
        protocol="openai", base_url="http://127.0.0.1:11434/v1", model="llama3.1:8b"
    )
    litellm = snap.model("litellm/proxy")
    assert litellm is not None
    assert litellm.endpoint is not None
    assert litellm.endpoint.base_url == "http://127.0.0.1:4000/v1"
    assert litellm.endpoint.api_key_env == "LITELLM_API_KEY"
    assert litellm.model_class == "local"
    assert snap.model("openai/chatgpt-plus").quota == RollingQuota(  # type: ignore[union-attr]
        window=timedelta(hours=3), anchor="sliding", unit="messages", cap=160
    )
    assert snap.model("anthropic/claude-pro").quota == RollingQuota(  # type: ignore[union-attr]
        window=timedelta(hours=5),
        anchor="first_use",
        align="hour",
        unit="messages",
        cap=45,
        weekly_cap=900,
        weekly_tracked=True,
    )
    gemini = snap.model("google/gemini-pro")
    assert gemini is not None
    assert gemini.quota == FixedQuota(
        period="daily", tz="America/Los_Angeles", at=time(0), rpd=1000, tpd=None
    )
    assert gemini.price == Price(prompt=1.25, completion=10.00)
    assert gemini.context_window == 1048576
    apps = snap.model("google/gemini-apps")
    assert apps is not None
    assert isinstance(apps.quota, FixedQuota)
    assert apps.quota.rpd == 100
    assert not apps.executable
    assert isinstance(snap.model("xai/grok").quota, HeaderDrivenQuota)  # type: ignore[union-attr]
    assert isinstance(snap.model("venice/api").quota, HeaderDrivenQuota)  # type: ignore[union-attr]
    assert snap.model("perplexity/api").quota == FixedEveryQuota(  # type: ignore[union-attr]
        period=timedelta(seconds=60), cap=50
    )
    assert snap.model("deepseek/api").quota == DynamicQuota()  # type: ignore[union-attr]
    for model in snap.models:
        if model.endpoint is not None and model.model_class == "hosted":
            assert model.endpoint.api_key_env, model.name
    tenant = snap.tenants["default"]
    assert [(w.model, w.when_cron, w.tz, w.duration) for w in tenant.power_windows] == [
        ("google/gemini-pro", "0 18 * * 1-5", "UTC", timedelta(hours=1)),
        ("xai/grok", "0 2 * * *", "UTC", timedelta(minutes=30)),
    ]
    assert tenant.budgets.daily_usd == 5.0
    assert tenant.budgets.monthly_usd == 100.0
    assert snap.reserve_fraction(gemini) == 0.20


def test_shipped_windows_are_the_seed_schedules() -> None:
    shipped = load_policy_files(SHIPPED_POLICY, SHIPPED_WINDOWS)
    seed = load_policy(
        SHIPPED_POLICY.read_text(), windows_text=(FIXTURES / "seed_windows.yml").read_text()
    )
    assert dict(shipped.schedules) == dict(seed.schedules)


def test_version_is_a_content_hash_of_both_files() -> None:
    policy = SHIPPED_POLICY.read_text()
    windows = SHIPPED_WINDOWS.read_text()
    base = load_policy(policy, windows_text=windows).version
    assert len(base) == 16
    assert int(base, 16) >= 0
    assert load_policy(policy.encode(), windows_text=windows.encode()).version == base
    assert load_policy(policy, windows_text=windows, policy_name="elsewhere.yml").version == base
    assert load_policy(policy + "\n# edited\n", windows_text=windows).version != base
    assert load_policy(policy, windows_text=windows + "\n# edited\n").version != base
    assert load_policy(policy).version != base
    assert load_policy_files(SHIPPED_POLICY, SHIPPED_WINDOWS).version == base


def test_snapshot_helpers() -> None:
    snap = load_policy(
        """
policy:
  defaults: { reserve_fraction: 0.1 }
  models:
    - { name: a/one, quota: { type: dynamic }, reserve_fraction: 0.5 }
    - { name: a/two, quota: { type: dynamic } }
  routing_rules:
    - { match: { task: qa }, route: { prefer: [a/one] } }
    - { name: team-qa, match: { task: qa, tenant: team }, route: { prefer: [a/two] } }
    - { match: { task: code, loa: 2 }, route: { prefer: [a/two] } }
tenants:
  team: { allow_models: [a/one] }
"""
    )
    one, two = snap.models
    assert snap.reserve_fraction(one) == 0.5
    assert snap.reserve_fraction(two) == 0.1
    assert snap.model("a/none") is None
    assert snap.rule_for("qa", 1, "team").name == "team-qa"  # type: ignore[union-attr]
    assert snap.rule_for("qa", 1, "default").name == "rule[0] qa"  # type: ignore[union-attr]
    assert snap.rule_for("code", 2, "default").route.prefer == ("a/two",)  # type: ignore[union-attr]
    assert snap.rule_for("code", 1, "default") is None
    assert set(snap.tenants) == {"team", "default"}
    assert snap.tenants["team"].allows("a/one")
    assert not snap.tenants["team"].allows("a/two")
    assert Price(2.0, 10.0).cost(1_000_000, 500_000) == pytest.approx(7.0)


def test_empty_policy_is_refused() -> None:
    # An editor that truncates before writing must not leave the service with no models
    # (tests/policy/test_policy_guard.py covers comments-only, null and duplicated keys).
    with pytest.raises(PolicyError, match="the file is empty"):
        load_policy("")
