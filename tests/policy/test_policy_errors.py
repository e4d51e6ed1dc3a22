"""Every policy error names its file, line and key path (and every error is reported)."""

from __future__ import annotations

from pathlib import Path

import pytest

from symphony.errors import PolicyError
from symphony.policy.loader import load_policy, load_policy_files

ROOT = Path(__file__).resolve().parents[2]
P = "config/router.policy.yml"
W = "config/model.windows.yml"

# Line numbers below refer to this document (line 1 is `policy:`).
BASE = """\
policy:
  defaults:
    timezone: America/Denver
  models:
    - name: openai/gpt
      quota:
        type: rolling
        window: 3h
        cap: 10
    - name: local/ollama
      endpoint: { protocol: openai, base_url: "http://127.0.0.1:11434/v1", model: llama3 }
      quota: { type: dynamic }
  routing_rules:
    - match: { task: qa }
      route: { prefer: [openai/gpt, local/ollama], fallback: [local/ollama] }
tenants:
  default:
    power_windows:
      - { model: openai/gpt, when_cron: "0 18 * * 1-5", duration: 1h }
"""
WINDOWS = """\
timezone: America/Denver
models:
  mine:
    model: openai/gpt
    schedule:
      - { days: [Mon], at: '06:05', duration: '00:25' }
"""


def errors_of(policy: str, windows: str | None = None) -> list[str]:
    with pytest.raises(PolicyError) as err:
        load_policy(policy, policy_name=P, windows_text=windows, windows_name=W)
    assert err.value.detail == err.value.errors
    assert err.value.status == 422
    assert err.value.code == "policy_invalid"
    return err.value.errors


def edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_base_documents_are_valid() -> None:
    snap = load_policy(BASE, windows_text=WINDOWS)
    assert [m.name for m in snap.models] == ["openai/gpt", "local/ollama"]
    assert snap.schedules["openai/gpt"].key == "mine"


def test_invalid_duration_in_the_shipped_policy_names_line_and_path() -> None:
    text = (ROOT / P).read_text()
    claude_quota = (
        "      quota: { type: rolling, window: 5h, anchor: first_use, align: hour,"
        " unit: messages, cap: 45, weekly_cap: 900 }"
    )
    line = text.splitlines().index(claude_quota) + 1
    broken = text.replace("window: 5h,", "window: 3x,")
    assert errors_of(broken) == [
        f"{P}:{line}: policy.models[3].quota.window: invalid duration '3x'"
        " (use e.g. 3h, 90m, 60s, 1h30m or HH:MM)"
    ]


def test_invalid_duration() -> None:
    assert errors_of(edit("window: 3h", "window: 3x")) == [
        f"{P}:8: policy.models[0].quota.window: invalid duration '3x'"
        " (use e.g. 3h, 90m, 60s, 1h30m or HH:MM)"
    ]
    assert errors_of(edit("window: 3h", "window: 0m")) == [
        f"{P}:8: policy.models[0].quota.window: duration '0m' must be positive"
    ]
    assert errors_of(edit("window: 3h", "window: true")) == [
        f"{P}:8: policy.models[0].quota.window: invalid duration True"
    ]


def test_unknown_key() -> None:
    assert errors_of(edit("window: 3h", "windw: 3h")) == [
        f"{P}:8: policy.models[0].quota.windw: unknown key 'windw'"
        " (expected one of: align, anchor, cap, type, unit, weekly_cap, window)",
        f"{P}:6: policy.models[0].quota.window: is required (a duration such as 3h, 90m or 60s)",
    ]
    assert errors_of(edit("  defaults:", "  defaultz:")) == [
        f"{P}:2: policy.defaultz: unknown key 'defaultz' (expected one of: defaults, models,"
        " routing_rules, slos, tenants, version, web, work_unit_overrides_schema)"
    ]
    assert errors_of("polcy: {}\n") == [
        f"{P}:1: polcy: unknown key 'polcy'"
        " (expected one of: policy, tenants, web, work_unit_overrides_schema)"
    ]


def test_unknown_time_zone() -> None:
    assert errors_of(edit("timezone: America/Denver", "timezone: Mars/Olympus")) == [
        f"{P}:3: policy.defaults.timezone: unknown time zone 'Mars/Olympus'"
        " (use an IANA name like America/Denver)"
    ]
    fixed = edit(
        "quota: { type: dynamic }",
        "quota: { type: fixed, period: daily, tz: Pacific Time, at: '00:00' }",
    )
    assert errors_of(fixed) == [
        f"{P}:12: policy.models[1].quota.tz: unknown time zone 'Pacific Time'"
        " (use an IANA name like America/Denver)"
    ]
    cron = edit("duration: 1h }", "duration: 1h, tz: Nowhere/City }")
    assert errors_of(cron) == [
        f"{P}:19: tenants.default.power_windows[0].tz: unknown time zone 'Nowhere/City'"
        " (use an IANA name like America/Denver)"
    ]
    windows = edit("timezone: America/Denver", "timezone: Denver", WINDOWS)
    assert errors_of(BASE, windows) == [
        f"{W}:1: timezone: unknown time zone 'Denver' (use an IANA name like America/Denver)"
    ]
    entry = edit("    model: openai/gpt", "    model: openai/gpt\n    tz: ../../etc", WINDOWS)
    assert errors_of(BASE, entry) == [
        f"{W}:5: models.mine.tz: unknown time zone '../../etc'"
        " (use an IANA name like America/Denver)"
    ]


def test_negative_caps() -> None:
    assert errors_of(edit("cap: 10", "cap: -5")) == [
        f"{P}:9: policy.models[0].quota.cap: cap must not be negative, got -5"
    ]
    weekly = edit("cap: 10", "cap: 10\n        weekly_cap: -1")
    assert errors_of(weekly) == [
        f"{P}:10: policy.models[0].quota.weekly_cap: cap must not be negative, got -1"
    ]
    assert errors_of(edit("cap: 10", "cap: lots")) == [
        f"{P}:9: policy.models[0].quota.cap: expected a non-negative integer or"
        " from_console|from_headers|optional, got 'lots'"
    ]


def test_unknown_quota_type() -> None:
    assert errors_of(edit("type: rolling", "type: sliding")) == [
        f"{P}:7: policy.models[0].quota.type: invalid quota type 'sliding'"
        " (expected rolling|fixed|fixed_every|header_driven|dynamic)"
    ]
    assert errors_of(edit("quota: { type: dynamic }", "quota: 5")) == [
        f"{P}:12: policy.models[1].quota.type: invalid quota type None"
        " (expected rolling|fixed|fixed_every|header_driven|dynamic)"
    ]


def test_rule_naming_a_missing_model() -> None:
    broken = edit("prefer: [openai/gpt, local/ollama]", "prefer: [openai/gpt, local/llama]")
    assert errors_of(broken) == [
        f"{P}:15: policy.routing_rules[0].route.prefer[1]: unknown model 'local/llama'"
    ]
    broken = edit("fallback: [local/ollama]", "fallback: [x/y]")
    assert errors_of(broken) == [
        f"{P}:15: policy.routing_rules[0].route.fallback[0]: unknown model 'x/y'"
    ]


def test_power_window_and_allow_list_naming_a_missing_model() -> None:
    broken = edit("{ model: openai/gpt, when_cron", "{ model: openai/gtp, when_cron")
    assert errors_of(broken) == [
        f"{P}:19: tenants.default.power_windows[0].model: unknown model 'openai/gtp'"
    ]
    allow = edit("  default:\n", "  default:\n    allow_models:\n      - openai/gpt\n      - x/y\n")
    assert errors_of(allow) == [f"{P}:20: tenants.default.allow_models[1]: unknown model 'x/y'"]


def test_schedule_naming_a_missing_model() -> None:
    windows = edit("model: openai/gpt", "model: openai/gpt-5", WINDOWS)
    assert errors_of(BASE, windows) == [
        f"{W}:3: models.mine: schedule names unknown model 'openai/gpt-5'"
    ]


def test_windows_entry_model_field_and_seed_key_mapping() -> None:
    # A seed key maps to its documented policy model; `model:` overrides the mapping.
    policy = BASE.replace("openai/gpt", "openai/chatgpt-plus")
    seed_key = "models:\n  chatgpt_plus:\n    schedule:\n      - { at: '06:05', duration: 25m }\n"
    snap = load_policy(policy, windows_text=seed_key)
    assert snap.schedules["openai/chatgpt-plus"].key == "chatgpt_plus"
    assert snap.schedules["openai/chatgpt-plus"].slots[0].days == frozenset(range(7))
    assert snap.schedules["openai/chatgpt-plus"].tz == "America/Denver"  # the policy default
    override = seed_key.replace("  chatgpt_plus:\n", "  chatgpt_plus:\n    model: local/ollama\n")
    snap = load_policy(policy, windows_text=override)
    assert list(snap.schedules) == ["local/ollama"]
    assert snap.schedules["local/ollama"].key == "chatgpt_plus"
    unknown = "models:\n  my_claude:\n    schedule: []\n"
    assert errors_of(BASE, unknown) == [
        f"{W}:2: models.my_claude: no policy model for 'my_claude': add `model: provider/name`"
    ]


def test_duplicate_model() -> None:
    dup = edit(
        "  routing_rules:\n",
        "    - { name: openai/gpt, quota: { type: dynamic } }\n  routing_rules:\n",
    )
    assert errors_of(dup) == [f"{P}:13: policy.models[2].name: duplicate model 'openai/gpt'"]


def test_bad_cron() -> None:
    assert errors_of(edit('"0 18 * * 1-5"', '"61 * * * *"')) == [
        f"{P}:19: tenants.default.power_windows[0].when_cron: invalid cron expression '61 * * * *'"
    ]
    assert errors_of(edit(', when_cron: "0 18 * * 1-5"', "")) == [
        f"{P}:19: tenants.default.power_windows[0].when_cron: is required"
    ]


@pytest.mark.parametrize(
    ("old", "new", "line", "path"),
    [
        (
            "model: llama3 }",
            'model: "sk-proj-abcdefghijklmnop1234" }',
            11,
            "policy.models[1].endpoint.model",
        ),
        (
            "model: llama3 }",
            "model: llama3, api_key_env: ghp_abcdefghijklmnopqrstuvwx12 }",
            11,
            "policy.models[1].endpoint.api_key_env",
        ),
        (
            "    timezone: America/Denver",
            "    timezone: America/Denver\n    note: 'Bearer abcDEF123456ghiJKL789xyz'",
            4,
            "policy.defaults.note",
        ),
    ],
)
def test_secret_looking_values_are_rejected(old: str, new: str, line: int, path: str) -> None:
    errors = errors_of(edit(old, new))
    assert (
        f"{P}:{line}: {path}: value looks like a secret (API key or token);"
        " credentials live in env vars only"
    ) in errors


def test_secret_in_an_unknown_key_and_in_the_windows_file() -> None:
    literal = edit("model: llama3 }", "model: llama3, api_key: literal }")
    assert errors_of(literal) == [
        f"{P}:11: policy.models[1].endpoint.api_key: looks like a credential;"
        " put it in an env var and name it in api_key_env",
        f"{P}:11: policy.models[1].endpoint.api_key: unknown key 'api_key'"
        " (expected one of: api_key_env, base_url, model, protocol)",
    ]
    token = edit("  default:\n", "  default:\n    token: abc\n")
    assert (
        f"{P}:18: tenants.default.token: looks like a credential; put it in an env var"
        " and name it in api_key_env" in errors_of(token)
    )
    windows = WINDOWS + "  # comment\n"
    windows = edit("    model: openai/gpt", "    model: openai/gpt\n    secret: hunter22", windows)
    assert (
        f"{W}:5: models.mine.secret: looks like a credential; put it in an env var and"
        " name it in api_key_env" in errors_of(BASE, windows)
    )
    named = edit("model: llama3 }", "model: llama3, api_key_env: not-a-name }")
    assert errors_of(named) == [
        f"{P}:11: policy.models[1].endpoint.api_key_env: must be the NAME of an environment"
        " variable, not a key"
    ]


def test_yaml_syntax_errors_report_their_line() -> None:
    broken = edit("  routing_rules:\n", "  routing_rules: [\n")
    errors = errors_of(broken)
    assert len(errors) == 1
    assert errors[0].startswith(f"{P}:14: invalid YAML: ")
    windows = WINDOWS + "  bad: [unclosed\n"
    (error,) = errors_of(BASE, windows)
    assert error.startswith(f"{W}:8: invalid YAML: ")
    assert errors_of("a: b: c\n")[0].startswith(f"{P}:1: invalid YAML: mapping values")


def test_several_errors_are_reported_at_once() -> None:
    broken = edit("window: 3h", "window: 3x")
    broken = edit("cap: 10", "cap: -1", broken)
    broken = edit("timezone: America/Denver", "timezone: Mars/Olympus", broken)
    broken = edit("fallback: [local/ollama]", "fallback: [x/y]", broken)
    windows = edit("model: openai/gpt", "model: x/z", WINDOWS)
    errors = errors_of(broken, windows)
    assert [e.split(": ")[0] + ": " + e.split(": ")[1] for e in errors] == [
        f"{P}:3: policy.defaults.timezone",
        f"{P}:8: policy.models[0].quota.window",
        f"{P}:9: policy.models[0].quota.cap",
        f"{P}:15: policy.routing_rules[0].route.fallback[0]",
        f"{W}:3: models.mine",
    ]
    assert "; ".join(errors) == str(PolicyError(errors))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "cap: 10",
            "cap: 10\n        anchor: sticky",
            "10: policy.models[0].quota.anchor:"
            " invalid value 'sticky' (expected sliding|first_use)",
        ),
        (
            "cap: 10",
            "cap: 10\n        unit: bananas",
            "10: policy.models[0].quota.unit:"
            " invalid value 'bananas' (expected messages|requests|tokens|usd)",
        ),
        (
            "    - name: openai/gpt",
            "    - name: gpt",
            "5: policy.models[0].name: model name 'gpt' must look like provider/model",
        ),
        (
            "    - name: openai/gpt",
            "    - name: [a, b]",
            "5: policy.models[0].name: expected text, got list",
        ),
        (
            "    - name: openai/gpt",
            "    - name: openai/gpt\n      loa_max: -1",
            "6: policy.models[0].loa_max: must be >= 0, got -1",
        ),
        (
            "    - name: openai/gpt",
            "    - name: openai/gpt\n      loa_max: high",
            "6: policy.models[0].loa_max: expected an integer, got 'high'",
        ),
        (
            "    - name: openai/gpt",
            "    - name: openai/gpt\n      reserve_fraction: 1.5",
            "6: policy.models[0].reserve_fraction: must be between 0.0 and 1.0, got 1.5",
        ),
        (
            "    - name: openai/gpt",
            "    - name: openai/gpt\n      price: { prompt: cheap }",
            "6: policy.models[0].price.prompt: expected a number, got 'cheap'",
        ),
        (
            "    - name: openai/gpt",
            "    - name: openai/gpt\n      allow_tasks: [1, 2]",
            "6: policy.models[0].allow_tasks: expected a list of strings",
        ),
        (
            "    - name: openai/gpt",
            "    - name: openai/gpt\n      class: remote",
            "6: policy.models[0].class: invalid value 'remote' (expected local|hosted)",
        ),
        (
            'base_url: "http://127.0.0.1:11434/v1"',
            "base_url: ftp://host",
            "11:"
            " policy.models[1].endpoint.base_url: base_url must start with http:// or https://,"
            " got 'ftp://host'",
        ),
        (
            'base_url: "http://127.0.0.1:11434/v1", ',
            "",
            "11: policy.models[1].endpoint.base_url: is required",
        ),
        (
            "    timezone: America/Denver",
            "    timezone: America/Denver\n    stream: yes please",
            "4: policy.defaults.stream: expected true or false, got 'yes please'",
        ),
        (
            "  models:\n",
            "  models: {}\n  old_models:\n",
            "4: policy.models: expected a list of models",
        ),
        (
            "  routing_rules:\n",
            "  routing_rules: { a: 1 }\n  old_rules:\n",
            "13: policy.routing_rules: expected a list",
        ),
        (
            "    - match: { task: qa }",
            "    - match: { task: qa, lao: 1 }",
            "14:"
            " policy.routing_rules[0].match.lao: unknown key 'lao' (expected one of: loa, task,"
            " tenant)",
        ),
        (
            BASE[BASE.index("tenants:") :],
            "tenants: [default]\n",
            "16: tenants: expected a mapping of tenant names",
        ),
        (
            "    power_windows:\n",
            "    power_windows: { a: 1 }\n    old_windows:\n",
            "18: tenants.default.power_windows: expected a list",
        ),
        (
            "duration: 1h }",
            "duration: 1h, rpm_cap: -2 }",
            "19: tenants.default.power_windows[0].rpm_cap: must be >= 0, got -2",
        ),
        (
            "  default:\n",
            "  default:\n    budgets: { daily_usd: -1 }\n",
            "18: tenants.default.budgets.daily_usd: must be >= 0.0, got -1",
        ),
        (
            BASE[BASE.index("    - match") : BASE.index("tenants:")],
            "    - 42\n",
            "14: policy.routing_rules[0]: expected a mapping, got int",
        ),
    ],
)
def test_field_errors(old: str, new: str, expected: str) -> None:
    errors = errors_of(edit(old, new))
    line, message = expected.split(": ", 1)
    assert f"{P}:{line}: {message}" in errors, errors


def test_fixed_and_fixed_every_errors() -> None:
    text = edit(
        "quota: { type: dynamic }",
        "quota: { type: fixed, tz: UTC, at: '25:00', units: { rpd: -1, tpx: 3 }, period: hourly }",
    )
    assert errors_of(text) == [
        f"{P}:12: policy.models[1].quota.at: invalid time of day '25:00'"
        " (use 'HH:MM', 00:00-23:59)",
        f"{P}:12: policy.models[1].quota.units.tpx: unknown key 'tpx' (expected one of: rpd, tpd)",
        f"{P}:12: policy.models[1].quota.units.rpd: cap must not be negative, got -1",
        f"{P}:12: policy.models[1].quota.period: invalid value 'hourly'"
        " (expected daily|weekly|monthly)",
    ]
    every = edit("quota: { type: dynamic }", "quota: { type: fixed_every, cap: 5 }")
    assert errors_of(every) == [
        f"{P}:12: policy.models[1].quota.period: is required (a duration such as 3h, 90m or 60s)"
    ]
    every = edit("quota: { type: dynamic }", "quota: { type: fixed_every, period: soon }")
    assert errors_of(every) == [
        f"{P}:12: policy.models[1].quota.period: invalid duration 'soon'"
        " (use e.g. 3h, 90m, 60s, 1h30m or HH:MM)"
    ]


def test_overrides_schema_errors() -> None:
    schema = BASE + "work_unit_overrides_schema:\n  temperature: { min: 1.2, max: 0.5 }\n"
    assert errors_of(schema) == [
        f"{P}:21: work_unit_overrides_schema.temperature: min 1.2 is above max 0.5"
    ]
    schema = BASE + "work_unit_overrides_schema:\n  tmperature: {}\n"
    assert errors_of(schema)[0].startswith(
        f"{P}:21: work_unit_overrides_schema.tmperature: unknown key 'tmperature'"
    )


MINE = "models:\n  mine:\n    model: openai/gpt\n"
SLOT = MINE + "    schedule:\n      - "


@pytest.mark.parametrize(
    ("windows", "expected"),
    [
        ("models: [a, b]\n", "1: models: expected a mapping of model keys"),
        (MINE + "    schedule: { at: '06:00' }\n", "4: models.mine.schedule: expected a list"),
        (
            SLOT + "{ days: [Mon, Funday], at: '06:00', duration: 1h }\n",
            "5: models.mine.schedule[0].days[1]: unknown day 'Funday' (use Mon..Sun)",
        ),
        (
            SLOT + "{ at: '6am', duration: 1h }\n",
            "5: models.mine.schedule[0].at: invalid time of day '6am' (use 'HH:MM', 00:00-23:59)",
        ),
        (
            SLOT + "{ at: '06:00', duration: forever }\n",
            "5: models.mine.schedule[0].duration: invalid duration 'forever'"
            " (use e.g. 3h, 90m, 60s, 1h30m or HH:MM)",
        ),
        (
            MINE + "    dynamic: { action: guess }\n",
            "4: models.mine.dynamic.action: invalid value 'guess'"
            " (expected shift_to_next_reset|phase_lock)",
        ),
        (
            MINE + "    schedul: []\n",
            "4: models.mine.schedul: unknown key 'schedul'"
            " (expected one of: dynamic, model, schedule, tz)",
        ),
    ],
)
def test_windows_file_errors(windows: str, expected: str) -> None:
    assert errors_of(BASE, windows) == [f"{W}:{expected}"]


def test_unquoted_clock_times_are_wall_clock_not_sexagesimal_numbers() -> None:
    windows = (
        "models:\n  mine:\n    model: openai/gpt\n    schedule:\n"
        "      - { at: 10:00, duration: 1:30 }\n      - { at: 06:05, duration: 00:25 }\n"
    )
    slots = load_policy(BASE, windows_text=windows).schedules["openai/gpt"].slots
    assert [(s.at.isoformat(), s.duration.total_seconds()) for s in slots] == [
        ("10:00:00", 5400.0),
        ("06:05:00", 1500.0),
    ]


def test_a_tenant_defined_twice_is_an_error() -> None:
    text = BASE.replace("policy:\n", "policy:\n  tenants:\n    default: {}\n", 1)
    assert f"{P}:3: policy.tenants.default: tenant 'default' is also defined under tenants" in (
        errors_of(text)
    )


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as err:
        load_policy_files(tmp_path / "missing.yml")
    assert err.value.errors == [
        f"{tmp_path / 'missing.yml'}: cannot read policy file: No such file or directory"
    ]
    policy = tmp_path / "p.yml"
    policy.write_text(BASE)
    # A missing windows file is optional (a policy alone is valid) ...
    assert load_policy_files(policy, tmp_path / "none.yml").schedules == {}
    # ... but one that exists and cannot be read is an error.
    with pytest.raises(PolicyError) as err:
        load_policy_files(policy, tmp_path)
    assert err.value.errors == [f"{tmp_path}: cannot read windows file: Is a directory"]
    binary = tmp_path / "b.yml"
    binary.write_bytes(b"policy: \xff\xfe\n")
    with pytest.raises(PolicyError) as err:
        load_policy_files(binary)
    assert err.value.errors == [f"{binary}: not UTF-8 text (byte 8)"]
    with pytest.raises(PolicyError) as err:
        load_policy(BASE, windows_text=b"\xff")
    assert err.value.errors == ["model.windows.yml: not UTF-8 text (byte 0)"]


def test_non_mapping_documents() -> None:
    assert errors_of("- a\n- b\n") == [f"{P}:1: <root>: expected a mapping, got list"]
    assert errors_of("policy: [1]\n") == [f"{P}:1: policy: expected a mapping, got list"]
    assert errors_of(BASE, "- a\n") == [f"{W}:1: <root>: expected a mapping, got list"]
