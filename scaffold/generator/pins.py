"""The version pins of a template: the hidden questions of copier.yml's ``# PINS`` section."""

from __future__ import annotations

import re
from typing import Final

from scaffold.generator import answers

PINS_MARKER: Final = re.compile(r"^# PINS\b", re.MULTILINE)
_QUESTION: Final = re.compile(r"^([A-Za-z_]\w*):", re.MULTILINE)


def pins(config_text: str, label: str = "copier.yml") -> dict[str, str]:
    """Return each pin's name and default, in the order copier.yml lists them.

    A pin is a question below the ``# PINS`` line that is never asked (``when: false``).
    """
    marker = PINS_MARKER.search(config_text)
    if marker is None:
        return {}
    names = _QUESTION.findall(config_text, marker.end())
    config = answers.parse_mapping(config_text, label)
    found: dict[str, str] = {}
    for name in names:
        question = config.get(name)
        if isinstance(question, dict) and question.get("when") is False:
            found[name] = str(question.get("default", ""))
    return found


def changes(old: dict[str, str], new: dict[str, str]) -> dict[str, tuple[str | None, str | None]]:
    """Return the pins whose value differs between two releases, as (from, to).

    A pin only one release has is None on the other side.
    """
    names = list(old) + [name for name in new if name not in old]
    return {
        name: (old.get(name), new.get(name)) for name in names if old.get(name) != new.get(name)
    }
