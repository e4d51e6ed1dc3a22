"""Where the policy and windows files come from: the working directory first, then the copies
shipped inside the package (`symphony/defaults/`), so an installed `symphony` runs anywhere.

Only the default relative names (`config/router.policy.yml`, `config/demo.policy.yml`,
`config/model.windows.yml`) fall back; a file the operator names is used as given."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["DEFAULT_POLICY", "DEFAULT_WINDOWS", "DEMO_POLICY", "packaged", "resolve_config"]

CONFIG_DIR = Path("config")
DEFAULT_POLICY = CONFIG_DIR / "router.policy.yml"
DEFAULT_WINDOWS = CONFIG_DIR / "model.windows.yml"
DEMO_POLICY = CONFIG_DIR / "demo.policy.yml"
SHIPPED = frozenset({DEFAULT_POLICY, DEFAULT_WINDOWS, DEMO_POLICY})


def packaged(name: str) -> Path:
    """The packaged copy of `config/<name>` (installed as plain files, never zipped)."""
    return Path(str(files("symphony.defaults").joinpath(name)))


def _fallback(path: Path) -> Path | None:
    if path in SHIPPED and not path.exists():
        copy = packaged(path.name)
        return copy if copy.is_file() else None
    return None


def resolve_config(policy: Path, windows: Path | None) -> tuple[Path, Path | None]:
    """The files to read: each default name present in the working directory wins; a missing
    one is the packaged copy. The packaged windows file goes only with a packaged policy (it
    names the default models; beside an operator's own policy it would name strangers)."""
    shipped_policy = _fallback(policy)
    if shipped_policy is None:
        return policy, windows
    if windows is not None and _fallback(windows) is not None:
        windows = _fallback(windows)
    return shipped_policy, windows
