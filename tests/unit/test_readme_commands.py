"""The README's command tables name every command ``/help`` knows, and no other."""

from __future__ import annotations

import re
from pathlib import Path

from chinwag.text.session import COMMANDS

README = Path(__file__).resolve().parents[2] / "README.md"


def documented_commands() -> set[str]:
    """Every ``/name`` in the first column of the tables of the Commands section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Commands\n", 1)[1].split("\n### ", 1)[0]
    found: set[str] = set()
    for row in section.splitlines():
        if not row.startswith("| `"):
            continue
        first_column = re.split(r"(?<!\\)\|", row)[1]
        found.update(re.findall(r"`/([a-z]+)", first_column))
    return found


def test_every_registered_command_and_alias_is_in_the_readme_and_nothing_else() -> None:
    documented = documented_commands()
    assert documented, "no command table found in README.md"
    assert documented == set(COMMANDS)
