"""Hostile and truncated policy files are refused with the limit or rule they break."""

from __future__ import annotations

from pathlib import Path

import pytest

from symphony.cli import main
from symphony.errors import PolicyError
from symphony.policy.loader import load_policy
from symphony.policy.yaml_guard import MAX_NODES, YamlLimits, YamlRefused, parse_bounded
from yaml_bombs import billion_laughs

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "config" / "router.policy.yml").read_text()


def errors_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as err:
        load_policy(text, policy_name="p.yml")
    return err.value.errors


def test_the_bomb_is_a_real_kilobyte_bomb() -> None:
    bomb = billion_laughs()
    assert 1_000 <= len(bomb.encode()) <= 1_400
    # Without the guard, the (alias-sharing) construction alone succeeds; anything that then
    # walks it — validation, the line map — would visit 10^9 strings.
    import yaml

    assert isinstance(yaml.safe_load(bomb)["laughs9"], list)


def test_alias_bomb_is_refused_naming_the_limit() -> None:
    errors = errors_of(billion_laughs())
    assert len(errors) == 1
    assert errors[0].startswith("p.yml:")
    assert f"more than {MAX_NODES} nodes (limit: max_nodes {MAX_NODES}" in errors[0]


def test_each_limit_names_itself() -> None:
    loader = __import__("yaml").SafeLoader
    small = YamlLimits(max_bytes=50, max_depth=3, max_aliases=2, max_nodes=20)
    cases = {
        "x" * 60: "limit: max_bytes 50",
        "a: [[[[1]]]]": "limit: max_depth 3",
        "a: &a 1\nb: [*a, *a, *a]": "limit: max_aliases 2",
        "a: [" + ",".join("1" for _ in range(22)) + "]": "limit: max_nodes 20",
    }
    for text, limit in cases.items():
        with pytest.raises(YamlRefused) as err:
            parse_bounded(loader, text, "f.yml", small)
        assert limit in err.value.errors[0], (text, err.value.errors)
    # Depth through aliases counts too (written depth 2, expanded depth 4).
    text = "a: &a [1]\nb: &b [*a]\nc: &c [*b]\nd: [*c]"
    with pytest.raises(YamlRefused) as err:
        parse_bounded(loader, text, "f.yml", YamlLimits(max_depth=3))
    assert "expands through aliases to more than 3 levels" in err.value.errors[0]


def test_recursive_alias_is_refused() -> None:
    assert "recursive alias" in errors_of("a: &a [1, *a]\n")[0]


def test_a_policy_may_still_use_anchors() -> None:
    text = GOOD.replace("policy:\n", "x-shared: &price { prompt: 1.0, completion: 2.0 }\npolicy:\n")
    with pytest.raises(PolicyError) as err:  # x-shared is unknown at the top...
        load_policy(text, policy_name="p.yml")
    assert "x-shared" in err.value.errors[0]
    assert not [e for e in err.value.errors if "limit:" in e]


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "# only a comment\n# and another\n", "---\n"],
    ids=["empty", "blank", "comments", "bare-document"],
)
def test_empty_file_is_refused(text: str) -> None:
    assert errors_of(text) == [
        "p.yml: the file is empty (no YAML content, or only comments): a policy declares at "
        "least one model (an editor that truncated the file?)"
    ]


@pytest.mark.parametrize(
    "text", ["policy: null\n", "policy:\n", "policy: {}\n", "policy:\n  models: []\n"]
)
def test_a_policy_without_models_is_refused(text: str) -> None:
    (error,) = errors_of(text)
    assert error.startswith("p.yml:1: policy: declares no models")


def _line(text: str, exact: str, nth: int = 0) -> int:
    return [i + 1 for i, ln in enumerate(text.splitlines()) if ln == exact][nth]


@pytest.mark.parametrize(
    ("text", "exact", "key"),
    [
        (GOOD + "policy:\n  models: []\n", "policy:", "policy"),
        (GOOD.replace("  defaults:\n", "  defaults:\n    stream: false\n", 1), "", "stream"),
        (GOOD.replace("  class: local\n", "  class: local\n      class: hosted\n", 1), "", "class"),
    ],
    ids=["top", "second-level", "model-item"],
)
def test_duplicated_keys_are_refused_at_any_level_with_lines(
    text: str, exact: str, key: str
) -> None:
    errors = errors_of(text)
    dup = [e for e in errors if f"duplicate key '{key}'" in e]
    assert len(dup) == 1, errors
    if exact:
        first, line = _line(text, exact), _line(text, exact, 1)
    else:  # the inserted line, and the original one in the same mapping
        inserted = {"stream": "    stream: false", "class": "      class: hosted"}[key]
        original = {"stream": "    stream: true", "class": "      class: local"}[key]
        first, line = sorted((_line(text, original), _line(text, inserted)))
    assert dup[0].startswith(f"p.yml:{line}: duplicate key '{key}' (first at line {first})")


def test_merge_keys_are_not_duplicates() -> None:
    text = "base: &b { a: 1 }\nother:\n  <<: *b\n  <<: *b\n"
    assert parse_bounded(__import__("yaml").SafeLoader, text, "f.yml")["other"] == {"a": 1}


def test_policy_check_refuses_the_bomb_and_the_empty_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = tmp_path / "bomb.yml"
    bomb.write_text(billion_laughs())
    empty = tmp_path / "empty.yml"
    empty.write_text("# truncated\n")
    assert main(["policy", "check", str(bomb), str(empty)]) == 1
    err = capsys.readouterr().err
    assert "bomb.yml:" in err
    assert f"limit: max_nodes {MAX_NODES}" in err
    assert "empty.yml: the file is empty" in err
