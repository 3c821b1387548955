"""Semantic checks of a parsed spec: every problem at once, each located with a hint.

`load.parse` enforces the shape of the YAML; this module checks what a schema cannot:
that every name resolves, keys and states are consistent, custom bodies are Python that
declares what it writes and fails with, and seed recipes can run. `lower.py` assumes a
spec with no error here, so each rule below guards an assumption of lowering, the
templates, the seeder or the generated server.

The rules live in parts along the spec's sections: `check_tables`, `check_seeds`,
`check_shared` (constants and helpers), `check_tools` (with `check_bodies` and `check_tests`), `check_asks` on the helpers of `check_core`.
"""

from __future__ import annotations

import yaml

from generator.errors import Diagnostic
from generator.spec.check_asks import AskChecks
from generator.spec.check_core import Loc
from generator.spec.check_seeds import SeedChecks
from generator.spec.check_shared import SharedChecks
from generator.spec.check_tables import TableChecks
from generator.spec.check_tools import ToolChecks
from generator.spec.models import DomainSpec
from generator.spec.source import Source


class Checker(TableChecks, SeedChecks, SharedChecks, ToolChecks, AskChecks):
    """Every check of a spec, run area by area in a fixed order."""

    # -- the whole spec --------------------------------------------------------------------

    def run(self) -> list[Diagnostic]:
        areas = [self.duplicate_keys, self.names, self.schema, self.shared, self.seeds, self.tools, self.asks, self.descriptions,
                 self.shared_errors, self.sandbox]
        for area in areas:
            try:
                area()
            except Exception as exc:  # a checker bug must still leave the user a located report
                self.error((), f"internal error in check {area.__name__}: {type(exc).__name__}: {exc}",
                           "please report this together with the spec")
        self.db.close()
        return self.found

    def duplicate_keys(self) -> None:
        """PyYAML keeps the last of two equal keys silently; report every repeat."""
        seen_nodes: set[int] = set()

        def walk(node: yaml.Node, at: Loc) -> None:
            if id(node) in seen_nodes:
                return
            seen_nodes.add(id(node))
            if isinstance(node, yaml.MappingNode):
                first: dict[str, int] = {}
                for key, value in node.value:
                    name, line = str(key.value), key.start_mark.line + 1
                    if name in first and name != "<<":
                        self.error(at + (name,), f"duplicate key {name!r}: it replaces the one on line {first[name]}",
                                   "rename or merge one of them", line=line)
                    first.setdefault(name, line)
                    walk(value, at + (name,))
            elif isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    walk(item, at + (i,))

        root = yaml.compose(self.source.text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if root is not None:
            walk(root, ())


def check_spec(spec: DomainSpec, source: Source) -> list[Diagnostic]:
    """All diagnostics for a spec that parsed; no error means it can be compiled."""
    return Checker(spec, source).run()
