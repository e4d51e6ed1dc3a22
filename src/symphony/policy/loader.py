"""Pure policy loading: bytes in, validated frozen snapshot out (or every problem found)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import Any

import yaml

from symphony.errors import PolicyError
from symphony.policy.fields import Fields
from symphony.policy.model import (
    ModelSchedule,
    ModelSpec,
    PolicySnapshot,
    RoutingRule,
    Tenant,
)
from symphony.policy.parse_models import implied_model, parse_model
from symphony.policy.parse_slos import parse_slos
from symphony.policy.parse_tenants import (
    parse_defaults,
    parse_overrides_schema,
    parse_rule,
    parse_tenant,
)
from symphony.policy.parse_windows import parse_windows_doc
from symphony.policy.problems import Path, Problems, line_map
from symphony.policy.web import Issues, WebPolicy, parse_web
from symphony.policy.yaml_guard import YamlRefused, parse_bounded
from symphony.security.redact import contains_secret

TOP_KEYS = ("policy", "work_unit_overrides_schema", "tenants", "web")
POLICY_KEYS = (
    "version",
    "defaults",
    "models",
    "routing_rules",
    "work_unit_overrides_schema",
    "tenants",
    "slos",
    "web",
)
EMPTY = (
    "the file is empty (no YAML content, or only comments): a policy declares at least one "
    "model (an editor that truncated the file?)"
)
NO_MODELS = (
    "declares no models (`policy:` missing, null or empty): a policy declares at least one "
    "model in policy.models or a tenant's allow_models"
)
SECRET_KEY_NAMES = re.compile(r"(^|_)(api_?key|token|secret|password|passwd)$", re.IGNORECASE)


# libyaml's C parser when present (~10x faster start-up and reload); same safe constructors.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PolicyLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """SafeLoader without YAML 1.1 sexagesimal numbers: `at: 10:00` and `duration: 1:30`
    stay text (10:00, 1h30m) instead of becoming the integers 600 and 90."""


_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
PolicyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
PolicyLoader.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
PolicyLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _yaml(problems: Problems, text: str, name: str) -> Any:
    try:
        # A SafeLoader subclass (no objects), under size/depth/alias limits, no duplicates.
        return parse_bounded(PolicyLoader, text, name)
    except YamlRefused as exc:
        problems.extend(exc.errors)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else "?"
        problems.add_raw(f"{name}:{line}: invalid YAML: {exc.problem}")
    except yaml.YAMLError as exc:
        problems.add_raw(f"{name}: invalid YAML: {exc}")
    return None


def _text(data: str | bytes, name: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError([f"{name}: not UTF-8 text (byte {exc.start})"]) from exc


def _scalars(node: Any, path: Path) -> Iterator[tuple[Path, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _scalars(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _scalars(value, (*path, index))
    else:
        yield path, node


def _reject_secrets(problems: Problems, doc: Any) -> None:
    """Credentials live in environment variables; a literal one in policy is an error."""
    for path, value in _scalars(doc, ()):
        if not isinstance(value, str) or not value:
            continue
        key = path[-1] if path and isinstance(path[-1], str) else ""
        if SECRET_KEY_NAMES.search(key) and not key.endswith("_env"):
            problems.add(
                path, "looks like a credential; put it in an env var and name it in api_key_env"
            )
        elif contains_secret(value):
            problems.add(
                path,
                "value looks like a secret (API key or token); credentials live in env vars only",
            )


def _model_list(problems: Problems, raw: Any) -> list[ModelSpec]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add(("policy", "models"), "expected a list of models")
        return []
    models: list[ModelSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        model = parse_model(problems, item, ("policy", "models", index))
        if model is None:
            continue
        if model.name in seen:
            problems.add(("policy", "models", index, "name"), f"duplicate model '{model.name}'")
            continue
        seen.add(model.name)
        models.append(model)
    return models


def _check_references(
    problems: Problems,
    names: set[str],
    rules: list[RoutingRule],
    tenants: dict[str, Tenant],
    tenant_paths: dict[str, Path],
) -> None:
    for index, rule in enumerate(rules):
        for field in ("prefer", "fallback"):
            for i, name in enumerate(getattr(rule.route, field)):
                if name not in names:
                    path = ("policy", "routing_rules", index, "route", field, i)
                    problems.add(path, f"unknown model '{name}'")
    for tname, tenant in tenants.items():
        base = tenant_paths[tname]
        for i, name in enumerate(tenant.allow_models):
            if name not in names:
                problems.add((*base, "allow_models", i), f"unknown model '{name}'")
        for i, pw in enumerate(tenant.power_windows):
            if pw.model and pw.model not in names:
                problems.add((*base, "power_windows", i, "model"), f"unknown model '{pw.model}'")


def _web_section(problems: Problems, top: Any, nested: Any) -> WebPolicy:
    """The `web:` section (top level, or under `policy:`; not both)."""
    if top is not None and nested is not None:
        problems.add(("policy", "web"), "web is also defined at the top level: keep one")
        return WebPolicy()
    raw, path = (top, ("web",)) if top is not None else (nested, ("policy", "web"))
    if raw is None:
        return WebPolicy()
    issues: Issues = []
    values = parse_web(raw, path, issues)
    for where, message in issues:
        problems.add(where, message)
    return WebPolicy() if issues else WebPolicy(**values)


def load_policy(
    policy_text: str | bytes,
    *,
    policy_name: str = "router.policy.yml",
    windows_text: str | bytes | None = None,
    windows_name: str = "model.windows.yml",
) -> PolicySnapshot:
    """Build a snapshot from file contents; raise PolicyError listing every problem."""
    ptext = _text(policy_text, policy_name)
    wtext = None if windows_text is None else _text(windows_text, windows_name)
    problems = Problems()
    doc = _yaml(problems, ptext, policy_name)  # before line_map: that walk is unbounded
    if problems:
        raise PolicyError(problems.errors)
    problems.use(policy_name, line_map(ptext))
    if doc is None:
        raise PolicyError([f"{policy_name}: {EMPTY}"])
    top = Fields(problems, doc, (), TOP_KEYS)
    _reject_secrets(problems, doc)
    section = Fields(problems, top.raw("policy"), ("policy",), POLICY_KEYS)
    defaults = parse_defaults(problems, section.raw("defaults"), ("policy", "defaults"))
    models = _model_list(problems, section.raw("models"))
    rules_raw = section.raw("routing_rules") or []
    rules: list[RoutingRule] = []
    if not isinstance(rules_raw, list):
        problems.add(("policy", "routing_rules"), "expected a list")
    else:
        for index, item in enumerate(rules_raw):
            rule = parse_rule(problems, item, ("policy", "routing_rules", index), index)
            if rule is not None:
                rules.append(rule)
    schema_path: Path = ("work_unit_overrides_schema",)
    schema_raw = top.raw("work_unit_overrides_schema")
    if schema_raw is None:
        schema_raw, schema_path = (
            section.raw("work_unit_overrides_schema"),
            (
                "policy",
                "work_unit_overrides_schema",
            ),
        )
    schema = parse_overrides_schema(problems, schema_raw, schema_path)

    tenants: dict[str, Tenant] = {}
    tenant_paths: dict[str, Path] = {}
    for base_path, raw_tenants in (
        (("tenants",), top.raw("tenants")),
        (("policy", "tenants"), section.raw("tenants")),
    ):
        if raw_tenants is None:
            continue
        if not isinstance(raw_tenants, dict):
            problems.add(base_path, "expected a mapping of tenant names")
            continue
        for tname, traw in raw_tenants.items():
            path = (*base_path, str(tname))
            if str(tname) in tenants:
                problems.add(path, f"tenant '{tname}' is also defined under tenants")
            tenants[str(tname)] = parse_tenant(problems, str(tname), traw, path)
            tenant_paths[str(tname)] = path

    if not models:
        # The operator-kit shape names models only in tenants: track them (no endpoint).
        implied = sorted(
            {m for t in tenants.values() for m in t.allow_models}
            | {pw.model for t in tenants.values() for pw in t.power_windows if pw.model}
        )
        models = [implied_model(name) for name in implied]
    if not models and not problems:  # alone: every schedule would name an unknown model
        problems.add(("policy",), NO_MODELS)
        raise PolicyError(problems.errors)
    names = {m.name for m in models}
    if "default" not in tenants:
        tenants["default"] = Tenant(
            name="default", loa_max=max((m.loa_max for m in models), default=2)
        )
        tenant_paths["default"] = ("tenants", "default")
    _check_references(problems, names, rules, tenants, tenant_paths)
    providers = {m.provider for m in models}
    for tname, tenant in tenants.items():
        for provider, _limits in tenant.budgets.providers:
            if provider not in providers:
                at = (*tenant_paths[tname], "budgets", "providers", provider)
                known = ", ".join(sorted(providers))
                problems.add(at, f"unknown provider '{provider}' (known: {known})")
    slos = parse_slos(
        problems,
        section.raw("slos"),
        ("policy", "slos"),
        defaults=defaults,
        rules=rules,
        models=names,
    )

    web = _web_section(problems, top.raw("web"), section.raw("web"))

    schedules: dict[str, ModelSchedule] = {}
    if wtext is not None:
        wdoc = _yaml(problems, wtext, windows_name)
        problems.use(windows_name, {} if wdoc is None else line_map(wtext))
        if wdoc is not None:
            _reject_secrets(problems, wdoc)
            for sched in parse_windows_doc(problems, wdoc, defaults.timezone):
                if sched.model not in names:
                    problems.add(
                        ("models", sched.key), f"schedule names unknown model '{sched.model}'"
                    )
                    continue
                schedules[sched.model] = sched
    if problems:
        raise PolicyError(problems.errors)

    digest = hashlib.sha256(ptext.encode())
    digest.update(b"\0" + (wtext or "").encode())
    declared = section.raw("version")
    return PolicySnapshot(
        version=digest.hexdigest()[:16],
        declared_version=None if declared is None else str(declared),
        defaults=defaults,
        models=tuple(models),
        routing_rules=tuple(rules),
        overrides_schema=schema,
        tenants=tenants,
        schedules=schedules,
        files=(policy_name,) + ((windows_name,) if wtext is not None else ()),
        slos=slos,
        models_by_name={m.name: m for m in models},
        web=web,
    )


def load_policy_files(policy_file: FsPath, windows_file: FsPath | None = None) -> PolicySnapshot:
    """Read both files from disk and load them; missing files are reported like any problem."""
    try:
        ptext = policy_file.read_bytes()
    except OSError as exc:
        raise PolicyError([f"{policy_file}: cannot read policy file: {exc.strerror}"]) from exc
    wtext: bytes | None = None
    if windows_file is not None:
        try:
            wtext = windows_file.read_bytes()
        except FileNotFoundError:
            wtext = None
        except OSError as exc:
            raise PolicyError(
                [f"{windows_file}: cannot read windows file: {exc.strerror}"]
            ) from exc
    return load_policy(
        ptext, policy_name=str(policy_file), windows_text=wtext, windows_name=str(windows_file)
    )
