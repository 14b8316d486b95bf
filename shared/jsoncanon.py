"""Canonical JSON: one byte sequence per value, so hashes can be recomputed by anyone.

Keys sorted, no insignificant whitespace, UTF-8, no NaN/Infinity. Auditors outside Runway
reproduce it with `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
