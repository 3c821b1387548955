"""The JSON Schema of a domain spec, for editors and for readers of `spec.schema.json`.

`spec.schema.json` at the repository root is this function's output, committed; a unit
test keeps the two equal. Regenerate it with:

    python -c "from generator.spec.schema import spec_json_schema; print(spec_json_schema(), end='')" > spec.schema.json
"""

from __future__ import annotations

import json

from generator.spec.models import DomainSpec


def spec_json_schema() -> str:
    """DomainSpec's JSON Schema as stable text: sorted keys, 2-space indent, final newline."""
    return json.dumps(DomainSpec.model_json_schema(), sort_keys=True, indent=2) + "\n"
