"""Agents, user simulators, evaluation and exports for trainers."""
