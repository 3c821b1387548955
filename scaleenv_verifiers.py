"""The verifiers taskset id `scaleenv-verifiers` (verifiers imports a taskset by a top-level module name).

    vf-eval scaleenv-verifiers --env.taskset.domain retail ...

The taskset lives in generator/integrations/verifiers.py.
"""

from generator.integrations.verifiers import ScaleEnvTaskset

__all__ = ["ScaleEnvTaskset"]
