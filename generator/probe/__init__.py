"""Procedural tests of a built server: case planning, running through MCP, classification, report."""
