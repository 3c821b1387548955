"""Lower a tool's preconditions (`requires`) into checks the generated code, the probe and the
expander share: the Python condition that is true when a rule fails, and its error's arguments.

Three forms (see `spec.models.Require`): a rule on a loaded row's column (the row may be one
foreign key further, `slot.provider`, fetched as a hop), a rule on an argument, and partial
uniqueness (no other row of a table in some states), which is one parameterized query.
"""

from __future__ import annotations

import re
from typing import Any

from generator.compile.constants import resolve
from generator.compile.ir import CheckIR, HopIR, LoadIR
from generator.compile.names import hop_column, path_var, singular, split_ref, template_names, value_expr
from generator.spec.models import DomainSpec, Require, Tool

FAILED = {"in": "{a} not in {v}", "not_in": "{a} in {v}", "eq": "{a} != {v}", "ne": "{a} == {v}",
          "gt": "{a} <= {v}", "gte": "{a} < {v}", "lt": "{a} >= {v}", "lte": "{a} > {v}"}  # fmt: skip


def paths(req: Require) -> list[str]:
    """The entity paths a rule reads: its own entity, and those its values name (`$slot.provider.x`)."""
    found = [req.entity] if req.entity else []
    values = [req.value, *req.where.values()]
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.startswith("$") and "." in item and not item.startswith("$const."):
                found.append(item[1:].rsplit(".", 1)[0])
    return found


class RuleLowerer:
    """The checks and hops of one tool, given the rows it loads."""

    def __init__(self, dom: DomainSpec, spec: Tool, loads: list[LoadIR], key: str | None):
        self.dom = dom
        self.spec = spec
        self.loads = {ld.entity: ld for ld in loads}
        self.key = key
        self.hops: dict[str, HopIR] = {}

    def hop(self, path: str, fetched: bool) -> None:
        source, _, segment = path.partition(".")
        if not segment or path_var(path) in self.hops or source not in self.loads:
            return
        table = self.dom.tables[self.loads[source].table]
        fk = hop_column({n: c.references for n, c in table.columns.items()}, segment)
        target, column = split_ref(table.columns[fk].references)
        self.hops[path_var(path)] = HopIR(
            entity=path_var(path),
            source=source,
            fk=fk,
            table=target,
            column=column,
            sql=f"SELECT * FROM {target} WHERE {column} = ?",
            guarded=not self.loads[source].required or table.columns[fk].nullable,
            fetched=fetched,
        )

    def table_of(self, entity: str) -> str:
        return self.loads[entity].table if entity in self.loads else self.hops[entity].table

    def optional(self, value: Any) -> bool:
        """Whether a `$param` value may be None (an optional param not given)."""
        name = value[1:] if isinstance(value, str) and value.startswith("$") else ""
        param = self.spec.params.get(name)
        return param is not None and not param.required

    def check(self, req: Require) -> CheckIR:
        fmt = ", ".join(f"{n}={n}" for n in template_names(self.spec.errors.get(req.error, "")))
        common = dict(op=req.op or "", value=resolve(req.value, self.dom.constants), error=req.error, fmt=fmt, kind=req.kind)
        if req.kind == "unique":
            return self.unique(req, common)
        if req.kind == "param":
            guards = [req.param] if not self.spec.params[req.param].required else []
            subject, entity, table, column = req.param, "", "", ""
        else:
            entity = path_var(req.entity)
            hop, load = self.hops.get(entity), self.loads.get(entity)
            # a row that may be missing (an optional param not given, a NULL foreign key): the rule passes
            guards = [entity] if hop is not None and hop.guarded or load is not None and not load.required else []
            subject, table, column = f"{entity}[{req.column!r}]", self.table_of(entity), req.column
        guards += [req.value[1:]] if self.optional(req.value) else []
        failed = self.failed(req, subject, table, column)
        if guards:
            failed = " and ".join([f"{g} is not None" for g in guards] + [f"{failed}"])
        return CheckIR(entity=entity, table=table, column=column, failed=failed, param=req.param, **common)

    def failed(self, req: Require, subject: str, table: str, column: str) -> str:
        """The Python condition that is true when the rule fails. A rule that a flag which is never
        None be true or false reads as a truth test (`if reservation["insurance"]:`), as by hand."""
        never_none = not column or not self.dom.tables[table].columns[column].nullable  # a param has a guard
        if req.op in ("eq", "ne") and isinstance(req.value, bool) and never_none:
            return subject if (req.op == "eq") != req.value else f"not {subject}"
        return FAILED[req.op].format(a=subject, v=value_expr(req.value))

    def unique(self, req: Require, common: dict[str, Any]) -> CheckIR:
        table = self.dom.tables[req.unique]
        terms, args = [], []
        for column, value in req.where.items():
            if isinstance(value, list):
                terms.append(f"{column} IN ({', '.join('?' for _ in value)})")
                args += [value_expr(v) for v in value]
            else:
                terms.append(f"{column} = ?")
                args.append(value_expr(value))
        # the row the tool acts on is not "another" row: a reopened ticket does not clash with itself
        exclude = None
        if self.key is not None and self.spec.table == req.unique and self.spec.kind != "create" \
                and isinstance(table.primary_key, str):
            exclude = (table.primary_key, self.key)
            terms.append(f"{table.primary_key} != ?")
            args.append(self.key)
        entity = f"other_{singular(req.unique)}"
        params = ", ".join(args) + ("," if len(args) == 1 else "")
        if entity in template_names(self.spec.errors.get(req.error, "")):  # the message names the clashing row
            sql = f"SELECT * FROM {req.unique} WHERE {' AND '.join(terms)}"
            failed = f"({entity} := await db.fetch_one({sql!r}, ({params}))) is not None"
        else:
            sql = f"SELECT 1 FROM {req.unique} WHERE {' AND '.join(terms)}"
            failed = f"await db.fetch_one({sql!r}, ({params})) is not None"
        where = tuple((c, tuple(v) if isinstance(v, list) else v)
                      for c, v in ((c, resolve(v, self.dom.constants)) for c, v in req.where.items()))
        return CheckIR(entity=entity, table=req.unique, column="", failed=failed,
                       where=where, exclude=exclude, **common)


def lower_requires(dom: DomainSpec, spec: Tool, loads: list[LoadIR], key: str | None
                   ) -> tuple[list[CheckIR], list[CheckIR], tuple[HopIR, ...]]:
    """The checks the tool enforces, those only the policy states (`enforced_by: policy`), and the
    rows one foreign key further that either reads."""
    rules = RuleLowerer(dom, spec, loads, key)
    # the generated code fetches a hop that a checked rule, its message or the body reads (the probe and the
    # expander read policy rules' hops too)
    body = (spec.body or "") + " ".join(spec.errors.get(r.error, "") for r in spec.requires if r.enforced_by == "tool")
    fetched = {path_var(p) for r in spec.requires if r.enforced_by == "tool" for p in paths(r)}
    for req in spec.requires:
        for path in paths(req):
            rules.hop(path, path_var(path) in fetched or re.search(rf"\b{path_var(path)}\b", body) is not None)
    checks: list[CheckIR] = []
    policy_checks: list[CheckIR] = []
    for req in spec.requires:
        (policy_checks if req.enforced_by == "policy" else checks).append(rules.check(req))
    return checks, policy_checks, tuple(rules.hops.values())
