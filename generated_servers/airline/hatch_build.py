"""Build hook: pack the Airline customer service domain's committed scenarios into the server's wheel and sdist.

In the checkout they are `tasks/airline/scenarios.jsonl`, two folders up; an sdist carries them
as `scenarios.jsonl` beside this file, where the normal file selection finds them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class ScenariosHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        committed = root.parent.parent / "tasks" / "airline" / "scenarios.jsonl"
        if not (root / "scenarios.jsonl").is_file() and committed.is_file():
            build_data["force_include"][str(committed)] = "scenarios.jsonl"
