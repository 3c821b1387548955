"""Meeting and breaking the rules a plain column override cannot: rules on arguments, argument
values a row's column decides, and partial uniqueness.

A call is fitted by moving its free arguments (not ids) to what the rules ask (the slot's
provider's specialty; a start before the end); a uniqueness rule is met by moving each
clashing row out of the counted states, and broken by moving another row of the table into
them (its key, and columns other rules read, stay as they are).
"""

from __future__ import annotations

import random
from typing import Any

from generator.compile.ir import CheckIR, ToolIR
from generator.probe.rules import Overrides, holds, resolve, step


class RuleFit:
    """Mixed into the Planner: needs `ir`, `entities(tool, args, overrides)`, `rows(table)`, `other_value`."""

    def fit(self, tool: ToolIR, args: dict[str, Any], checks: tuple[CheckIR, ...] | None = None,
            rng: random.Random | None = None) -> dict[str, Any]:
        """`args` with free params (no `ref`) moved to meet the rules that decide them."""
        out = dict(args)
        params = {p.name: p for p in tool.params if not p.ref}
        for c in tool.checks if checks is None else checks:
            entities = self.entities(tool, out, {})
            if c.kind == "unique" or holds(c, out, entities):
                continue
            value = resolve(c.value, out, entities)
            if c.kind == "param" and c.param in params:
                name, wanted = c.param, self.meeting(c.op, value, rng)
            elif c.kind == "column" and isinstance(c.value, str) and c.value[1:] in params and entities.get(c.entity):
                # the rule compares a row's column with the param: the param takes what the column allows
                current = entities[c.entity][c.column]
                mirrored = {"gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte"}.get(c.op, c.op)
                name, wanted = c.value[1:], current if c.op in ("eq", "gte", "lte") else self.meeting(mirrored, current, rng)
            else:
                continue
            param = params[name]
            if wanted is not None and (not param.enum or wanted in param.enum):
                out[name] = wanted
        return out

    @staticmethod
    def meeting(op: str, value: Any, rng: random.Random | None) -> Any:
        """A value `x` with `x OP value`, or None when there is no obvious one (ne, not_in)."""
        if op in ("eq", "gte", "lte"):
            return value
        if op == "in":
            options = sorted(value, key=str) if isinstance(value, (list, tuple)) else []
            return (rng.choice(options) if rng else options[0]) if options else None
        if op in ("gt", "lt"):
            return step(value, up=op == "gt")
        return None

    def param_violation(self, c: CheckIR, args: dict[str, Any], entities: dict[str, Any],
                        tool: ToolIR) -> dict[str, Any] | None:
        """A call breaking a rule on a param, or None."""
        param = next(p for p in tool.params if p.name == c.param)
        value = resolve(c.value, args, entities)
        if c.op in ("ne", "not_in"):
            bad = value[0] if isinstance(value, tuple) and value else value
        elif c.op in ("eq", "in"):
            banned = set(value) if isinstance(value, tuple) else {value}
            options = [v for v in param.enum or () if v not in banned]
            bad = options[0] if options else step(next(iter(banned)), up=True) if len(banned) == 1 else None
        else:
            bad = value if c.op in ("gt", "lt") else step(value, up=c.op == "lte")
        if bad is None or (param.enum and bad not in param.enum):
            return None
        return dict(args, **{c.param: bad})

    def unmatch(self, c: CheckIR, row: dict[str, Any]) -> dict[str, Any] | None:
        """Column values that take a clashing row out of a uniqueness rule's counted states."""
        for column, value in c.where:
            if isinstance(value, tuple):
                fake = CheckIR(entity="", table=c.table, column=column, op="not_in", value=value, failed="",
                               error="", fmt="")
                other = self.other_value(fake, value)
                if other is not None:
                    return {column: other}
        return None

    def loosen(self, c: CheckIR, tool: ToolIR, args: dict[str, Any], overrides: Overrides) -> None:
        """Setup overrides that move every row clashing with a uniqueness rule out of its states."""
        table = self.ir.table(c.table)
        for _ in range(20):
            clash = self.entities(tool, args, overrides).get(c.entity)
            change = self.unmatch(c, clash) if clash else None
            if change is None:
                return
            overrides.setdefault((c.table, str(clash[table.primary_key])), {}).update(change)

    def unique_violation(self, c: CheckIR, tool: ToolIR, args: dict[str, Any], entities: dict[str, Any],
                         overrides: Overrides) -> Overrides | None:
        """Setup overrides that move another row of the table into the rule's states, or None."""
        table = self.ir.table(c.table)
        wanted = {}
        for column, value in c.where:
            resolved = resolve(value, args, entities)
            wanted[column] = resolved[0] if isinstance(resolved, tuple) and resolved else resolved
            if wanted[column] is None or table.column(column).unique:
                return None  # a unique column cannot take a second row's value
        own = {str(args.get(c.exclude[1]))} if c.exclude else set()
        own |= {str(r[table.primary_key]) for r in entities.values() if isinstance(r, dict)
                and table.primary_key in r and r is not entities.get(c.entity)}
        for row in self.rows(table, limit=50):
            key = str(row[table.primary_key])
            if key not in own:
                more = {k: dict(v) for k, v in overrides.items()}
                more.setdefault((c.table, key), {}).update(wanted)
                return more
        return None
