"""Constants and helpers: values and small functions a spec declares once and its code shares.

The server gets them as a module of its own (`constants.py`, rendered by `render.py`); tool
code names them, while lowering resolves `$const.NAME` in precondition and `set` values to the
value itself, so the probe and the expander compare plain values. Seed expressions run the very
module the server imports (`seed_scope`), so a fee computed in the seed and by a tool agree.
"""

from __future__ import annotations

import ast
import builtins
import textwrap
from typing import Any

from generator.compile.ir import DomainIR, HelperIR
from generator.sandbox import ALLOWED_IMPORTS, SAFE_BUILTINS
from generator.spec.models import DomainSpec

CONST = "$const."
MODULE_IMPORTS = ALLOWED_IMPORTS | {"__future__", "types", "typing"}  # what the rendered module itself imports


def resolve(value: Any, constants: dict[str, Any]) -> Any:
    """A spec value with `$const.NAME` (alone or in a list) replaced by the constant's value."""
    if isinstance(value, list):
        return [resolve(item, constants) for item in value]
    if isinstance(value, str) and value.startswith(CONST):
        return constants[value.removeprefix(CONST)]
    return value


def lower_helpers(spec: DomainSpec) -> tuple[HelperIR, ...]:
    return tuple(
        HelperIR(name, tuple(h.params), textwrap.dedent(h.body).strip(), h.description.strip())
        for name, h in spec.helpers.items()
    )


def literal(value: Any) -> str:
    """The Python source of a constant: a map or list is wrapped in `frozen(...)` (read-only)."""
    return f"frozen({value!r})" if isinstance(value, (dict, list)) else repr(value)


def used_names(ir: DomainIR) -> list[str]:
    """The constants and helpers the server's tool code names (what `server.py` imports)."""
    shared = set(ir.constants) | {h.name for h in ir.helpers}
    if not shared:
        return []
    code = [t.body for t in ir.tools if t.kind == "custom"]
    code += [c.failed for t in ir.tools for c in t.checks] + [v for t in ir.tools for v in t.set_values.values()]
    found = set()
    for text in code:
        tree = ast.parse("async def _body():\n" + textwrap.indent(text, "    ", lambda _: True))
        found |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return sorted(found & shared)


def _import(name: str, *args: Any, **kwargs: Any) -> Any:
    if name.split(".")[0] not in MODULE_IMPORTS:
        raise ImportError(f"import of {name!r} is not allowed here")
    return __import__(name, *args, **kwargs)


def seed_scope(ir: DomainIR, module_source: str) -> dict[str, Any]:
    """The constants and helpers as seed expressions see them: the server's own module, run with
    only the builtins a body may use (its helpers passed the same sandbox check as bodies)."""
    if not module_source:
        return {}
    allowed = {n: getattr(builtins, n) for n in SAFE_BUILTINS if hasattr(builtins, n)}
    namespace: dict[str, Any] = {"__builtins__": allowed | {"__import__": _import}, "__name__": "constants"}
    exec(compile(module_source, "constants.py", "exec"), namespace)  # noqa: S102 - checked spec code
    return {name: namespace[name] for name in [*ir.constants, *(h.name for h in ir.helpers)]}
