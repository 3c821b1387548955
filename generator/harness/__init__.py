"""Agents, user simulators, evaluation, exports for trainers, and the Ray episode pool."""
