"""Serve the Online retail store tools over MCP (stdio by default, or streamable HTTP)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sqlite3
import sys
from pathlib import Path

from .runtime import create_file, database_problem, env_hash, find_scenario, scenario_image, seed_image
from .server import build_server

TOKEN_VARIABLE = "SCALEENV_CONTROL_TOKEN"  # where the control token can come from without showing in `ps`


def loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m generated_servers.retail",
        description="Serve the Online retail store MCP server on a fresh copy of its seed database.",
        epilog="example: python -m generated_servers.retail --db /tmp/retail.db --transport http --port 8000",
    )
    parser.add_argument(
        "--db", type=Path, help="database file: created from the seed if missing, opened as it is otherwise"
    )
    parser.add_argument(
        "--scenario",
        metavar="ID|FILE",
        help="start from a scenario's initial state and clock (with --db, PATH must not exist yet)",
    )
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="default: stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP host (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8000, help="HTTP port (default: 8000); MCP is served at /mcp"
    )
    parser.add_argument(
        "--control-token",
        help="HTTP: require `Authorization: Bearer TOKEN` on every route, /mcp and /episodes (default: open, loopback"
        f" only); other users can read a command line, so prefer ${TOKEN_VARIABLE} or --control-token-file",
    )
    parser.add_argument(
        "--control-token-file",
        type=Path,
        metavar="PATH",
        help="read the control token from the first line of PATH",
    )
    parser.add_argument(
        "--allow-remote-without-token",
        action="store_true",
        help="HTTP: serve a non-loopback --host with no control token (anyone who reaches the port controls every episode)",
    )
    args = parser.parse_args(argv)
    token, source = args.control_token, "--control-token"
    if args.control_token_file is not None:
        source = f"--control-token-file {args.control_token_file}"
        try:
            token = (args.control_token_file.read_text().splitlines() or [""])[0]
        except (OSError, UnicodeDecodeError) as exc:
            parser.error(f"{source}: cannot read it: {exc}")
    elif token is None and TOKEN_VARIABLE in os.environ:
        token, source = os.environ[TOKEN_VARIABLE], f"${TOKEN_VARIABLE}"
    if token is not None and not token.strip():
        parser.error(
            f"{source} is empty; give a secret, e.g. python -c 'import secrets; print(secrets.token_urlsafe())'"
        )
    remote = args.transport == "http" and not loopback(args.host)
    if remote and not token and not args.allow_remote_without_token:
        parser.error(
            f"--host {args.host} is reachable from other machines and there is no --control-token: set one"
            " (or pass --allow-remote-without-token to serve the episode API and /mcp open)"
        )
    image = None
    if args.scenario:
        try:
            scenario = find_scenario(args.scenario)
        except (FileNotFoundError, ValueError, KeyError) as exc:
            parser.error(str(exc))
        if scenario.get("env_hash") not in (None, env_hash()):
            print(
                f"warning: scenario {scenario['id']} was made for another build of this server",
                file=sys.stderr,
            )
        image = scenario_image(scenario)
        if args.db is not None and args.db.exists():
            parser.error(f"{args.db} already exists; --scenario needs a new database path")
    if args.db is not None:
        if problem := database_problem(args.db):
            parser.error(f"--db: {problem}")
        if not args.db.exists():
            try:
                create_file(args.db, image or seed_image())
            except (OSError, sqlite3.Error) as exc:
                parser.error(f"--db: cannot create {args.db}: {exc}")
    server = build_server(args.db, image, control_token=token)
    try:
        if args.transport == "http":
            print(
                f"serving MCP at http://{args.host}:{args.port}/mcp, episodes at /episodes", file=sys.stderr
            )
            server.run("streamable-http", host=args.host, port=args.port, json_response=True)
        else:
            server.run()
    except KeyboardInterrupt:  # Ctrl-C: every call already committed, so there is nothing to save
        print("stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
