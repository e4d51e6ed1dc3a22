"""Ids: prefix + 20 url-safe characters, unique, still importable where they used to live."""

from __future__ import annotations

import re

from symphony.execute import planning
from symphony.kit.ids import new_id


def test_id_shape() -> None:
    assert re.fullmatch(r"aud_[A-Za-z0-9_-]{20}", new_id("aud"))


def test_ids_do_not_repeat() -> None:
    ids = {new_id("pln") for _ in range(10_000)}
    assert len(ids) == 10_000


def test_old_import_path_is_the_same_function() -> None:
    assert planning.new_id is new_id
