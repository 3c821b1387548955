"""Scenarios: goal chains, initial state and distractors, SQL checks, text, validation by replay."""
