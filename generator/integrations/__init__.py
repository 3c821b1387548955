"""Adapters that let third-party trainers and harnesses drive the generated environments with their own APIs.

verifiers (a taskset), OpenEnv (an MCP environment) and NeMo Gym (the servers' own /seed_session
and /verify, see generated_servers/<domain>/gym.py). Each module imports its third-party package,
installed with the matching extra (`pip install -e ".[verifiers]"`, `".[openenv]"`).
"""
