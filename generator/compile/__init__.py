"""Compile a checked spec: IR, lowering, seed data, dependency graph, rendering, build and drift check."""
