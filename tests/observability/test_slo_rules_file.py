"""alerting/rules/symphony-slo.* are exactly what `symphony slo rules` generates from the
shipped policy: change policy.slos, regenerate, commit (the command is in the file header)."""

from __future__ import annotations

import sys
from pathlib import Path

from obs_stack import ROOT, RULES, run

REGENERATE = (
    ".venv/bin/symphony slo rules --policy config/router.policy.yml"
    " --out alerting/rules/symphony-slo.rules.yml --tests alerting/rules/symphony-slo.test.yml"
)


def test_committed_slo_rules_match_the_generator(tmp_path: Path) -> None:
    symphony = Path(sys.executable).parent / "symphony"
    out, tests = tmp_path / "symphony-slo.rules.yml", tmp_path / "symphony-slo.test.yml"
    policy = "config/router.policy.yml"
    args = ("slo", "rules", "--policy", policy, "--out", str(out), "--tests", str(tests))
    result = run(str(symphony), *args, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    for generated in (out, tests):
        committed = RULES / generated.name
        assert committed.read_text() == generated.read_text(), (
            f"{committed.relative_to(ROOT)} is stale: run `{REGENERATE}`"
        )
