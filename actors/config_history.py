"""How a config logged by an older papermm reads today, so its session still replays.

A session log carries the whole resolved config of its session (SessionStarted.config).
When a key is added, today's default would change how an old session replays; when one
is removed, the strict loader would refuse the old log. The tables below say, for every
key added or removed since the first release, what an older log means.
"""

from __future__ import annotations

import copy
from typing import Any, Final

#: Keys added after the first release -> the value that reproduces the behaviour of a
#: session logged before the key existed (today's default may differ).
ADDED_KEYS: Final[dict[tuple[str, str], Any]] = {
    # Before the cold-start observation window, sessions quoted on their first book.
    ("quote", "observe_s"): 0.0,
    # Before the requote tolerance, only an order at exactly its level's price was kept.
    ("quote", "requote_tolerance_bps"): 0.0,
}
#: Keys removed since the first release: an older log's value is dropped.
REMOVED_KEYS: Final[frozenset[tuple[str, str]]] = frozenset()


def upgrade_logged_config(data: dict[str, Any]) -> dict[str, Any]:
    """A logged config, with the keys it predates filled in and the removed ones dropped."""
    out = copy.deepcopy(data)
    for (section, key), legacy in ADDED_KEYS.items():
        part = out.get(section)
        if isinstance(part, dict) and key not in part:
            part[key] = legacy
    for section, key in REMOVED_KEYS:
        part = out.get(section)
        if isinstance(part, dict):
            part.pop(key, None)
    return out
