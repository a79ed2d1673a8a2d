"""YAML data files, read with libyaml's C parser when PyYAML has it: the same safe subset as ``yaml.safe_load``,
about ten times faster, and parsing the data files was most of a cold start."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(stream: Any) -> Any:
    return yaml.load(stream, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python
