"""Tiny shop: a standalone MCP server generated from domains/tiny.yaml.

Run it with `python -m generated_servers.tiny`; build it in code with `build_server()`.
"""

from .environment import DirectClient, EpisodeClient, LocalEnvironment
from .episodes import Episodes
from .server import build_server

__all__ = ["DirectClient", "EpisodeClient", "Episodes", "LocalEnvironment", "build_server"]
