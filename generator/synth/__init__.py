"""Synthesize domains from their names with LLM roles: `python -m generator synthesize NAME ...`.

    replies.py   the pydantic reply of every role (maps onto generator/spec/models.py)
    prompts.py   every role's instructions and the reply format (JSON Schema)
    examples.py  a compact worked reply of every role, shown in its prompt
    extract.py   the JSON object in a reply, however a model wrapped it
    roles.py     one validated call: continuations, bounded retries, token accounting
    stages.py    per-stage context and checks;  assemble.py  replies -> DomainSpec
    isolate.py   runs LLM-written code in worker.py processes under time limits
    pipeline.py  one domain end to end;  run.py  settings, local fan-out and the CLI
    cluster.py   the fan-out on Ray
    record.py    re-records a transcript's cache from its authored replies
"""

from __future__ import annotations

from typing import Any


def run_synthesize(args: Any, out: Any, err: Any) -> int:
    """The `synthesize` command (see `generator.synth.run`)."""
    from generator.synth.run import run_synthesize as run

    return run(args, out, err)
