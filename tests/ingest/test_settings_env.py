"""The web and RAG settings stay documented in .env.example with their real defaults."""

from __future__ import annotations

from pathlib import Path

from symphony.ingest.config import WebSettings, load_settings
from symphony.ingest.envparse import describe
from symphony.rag.config import RagSettings

ROOT = Path(__file__).resolve().parents[2]


def _example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def test_every_web_and_rag_variable_is_in_env_example_and_parses_to_the_defaults() -> None:
    example = _example()
    names = [env for cls in (WebSettings, RagSettings) for env, _d, _h in describe(cls)]
    assert set(names) <= set(example), sorted(set(names) - set(example))
    web, rag = load_settings({k: v for k, v in example.items() if k in names})
    assert (web, rag) == (WebSettings(), RagSettings())
