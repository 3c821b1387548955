"""Lower a tool's preconditions (`requires`) into checks the generated code, the probe and the
expander share: the Python condition that is true when a rule fails, and its error's arguments.
"""

from __future__ import annotations

from generator.compile.ir import CheckIR
from generator.compile.names import template_names, value_expr
from generator.spec.models import Tool

FAILED = {"in": "{a} not in {v}", "not_in": "{a} in {v}", "eq": "{a} != {v}", "ne": "{a} == {v}",
          "gt": "{a} <= {v}", "gte": "{a} < {v}", "lt": "{a} >= {v}", "lte": "{a} > {v}"}  # fmt: skip


def lower_requires(spec: Tool, entities: dict[str, str]) -> tuple[list[CheckIR], list[CheckIR]]:
    """The checks the tool enforces, and those only the policy states (`enforced_by: policy`)."""
    checks: list[CheckIR] = []
    policy_checks: list[CheckIR] = []
    for req in spec.requires:
        failed = FAILED[req.op].format(a=f"{req.entity}[{req.column!r}]", v=value_expr(req.value))
        names = template_names(spec.errors.get(req.error, ""))
        (policy_checks if req.enforced_by == "policy" else checks).append(
            CheckIR(
                entity=req.entity,
                table=entities.get(req.entity, ""),
                column=req.column,
                op=req.op,
                value=req.value,
                failed=failed,
                error=req.error,
                fmt=", ".join(f"{n}={n}" for n in names),
            )
        )
    return checks, policy_checks
