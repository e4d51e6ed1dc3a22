"""Operator commands: keys, audit (filled in by the security work)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    del sub
