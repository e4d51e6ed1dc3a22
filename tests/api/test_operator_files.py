"""The operator files stay true to the code: .env.example, Dockerfile, Justfile."""

from __future__ import annotations

import re
from pathlib import Path

from symphony.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def test_env_example_lists_every_setting_and_parses() -> None:
    read = {variable for _name, variable, _info in Settings.env_fields()}
    values = env_example()
    assert read, "Settings declares no SYMPHONY_* variables?"
    assert read <= set(values), sorted(read - set(values))
    settings = Settings.from_env(values)
    assert settings.port == 8787


def test_env_example_documents_every_variable() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[index - 1].startswith("#"), f"{line.split('=')[0]} has no comment"


def test_env_example_names_every_provider_key_in_the_policy() -> None:
    policy = (ROOT / "config/router.policy.yml").read_text()
    keys = set(re.findall(r"api_key_env:\s*([A-Z0-9_]+)", policy))
    assert keys
    assert keys <= set(env_example())
    assert all(value == "" for key, value in env_example().items() if key in keys)


def test_dockerfile_is_multi_stage_non_root_on_8787() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user
    assert not user[-1].startswith(("root", "0"))
    assert re.search(r"^EXPOSE 8787$", text, re.M)
    assert "HEALTHCHECK" in text
    assert "/status/health.json" in text
    assert 'CMD ["symphony", "serve", "--host", "0.0.0.0"]' in text


def test_dockerignore_keeps_secrets_and_state_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".env", ".venv", "data/", ".git"):
        assert entry in ignored


def test_justfile_has_the_operator_targets() -> None:
    text = (ROOT / "Justfile").read_text()
    assert 'set shell := ["bash", "-euo", "pipefail", "-c"]' in text
    targets = set(re.findall(r"^([a-z][a-z0-9-]*)(?: [^:]*)?:(?!=)", text, re.M))
    expected = {
        "serve",
        "test",
        "symphony-test",
        "symphony-plan",
        "sse",
        "metrics",
        "models",
        "bench",
        "policy-check",
    }
    assert expected <= targets, sorted(expected - targets)


def test_docker_examples_mount_the_images_data_directory() -> None:
    """Every `docker run … symphony` in the docs mounts the image's data directory (was
    /app/data in the runbook while the image uses /data)."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    (data_dir,) = re.findall(r"SYMPHONY_DATA_DIR=(\S+)", dockerfile)
    assert f'VOLUME ["{data_dir}"]' in dockerfile
    mounts = []
    for doc in ("README.md", "docs/runbook.md"):
        text = (ROOT / doc).read_text().replace("\\\n", " ")
        for line in text.splitlines():
            if "docker run" in line and re.search(r"\bsymphony\b", line.split("docker run")[-1]):
                found = re.findall(r"-v \S+:(/\S*?data\S*?)(?::ro)?[\s`]", line)
                mounts += [(doc, m) for m in found]
    assert mounts, "no docker run example mounts a data directory"
    assert all(m == data_dir for _doc, m in mounts), mounts


def test_readme_shows_creating_the_first_key_in_a_container() -> None:
    readme = (ROOT / "README.md").read_text()
    docker = readme[readme.index("## Docker") :]
    assert "symphony keys create --role admin" in docker[: docker.index("\n## ", 1)]
