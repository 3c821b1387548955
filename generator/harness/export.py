"""Export scenarios and trajectories to the formats trainers read (`python -m generator export`).

Inputs for `verifiers` and `tau2` are domain names (`tasks/<domain>/scenarios.jsonl`) or
scenario files/folders; `sft` reads `trajectories.jsonl` files written by `generator eval`.
Output is deterministic: scenarios sorted by id, trajectories by (domain, scenario, trial),
JSON with sorted keys.

- `verifiers` (Prime Intellect): JSONL rows `prompt` (a system message = the server's
  INSTRUCTIONS framed as by the eval harness, and a user message = the scenario instruction),
  `info` (JSON string: id, domain, env_hash, seed, now, checks, gold_actions, initial_state,
  user, kind, difficulty), `task` (the domain) and `tools` (JSON string of OpenAI function
  tools listed from the server over MCP in process). `info` and `tools` are strings because
  their shapes vary per row and Arrow/Parquet need one type per column.
- `nemo-gym` (NeMo Gym, and verifiers' NeMo Gym taskset): JSONL rows `responses_create_params`
  (`input`: system and user messages, `tools`: Responses API functions) and `scenario_id`, which the
  server's `/seed_session` starts an episode from (see generated_servers/<domain>/gym.py).
- `tau2` (tau2-bench): one `tasks.json` list following tau2's `Task` model, domain `scaleenv_<domain>`
  (tau2's own `airline` is a different database). tau2's models drop unknown keys, so our initial
  state and metadata ride in `initial_state.initialization_data.agent_data["scaleenv"]` and every
  check is an `evaluation_criteria.env_assertions` entry (`scaleenv_check` with the check as arguments).
- `sft` (TRL SFT / ART): rows `{"messages", "tools"}` from trajectories with reward >= 1.0
  only (failed episodes are dropped), tool-call arguments as objects (TRL's chat templates
  `tojson` them; strings would be double-encoded) and tool results named after their tool.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from generator.harness.agents import openai_tools, system_prompt
from generator.tasks.scenario import Scenario, load_scenarios

ROOT = Path(__file__).resolve().parents[2]
SFT_MIN_REWARD = 1.0  # only fully successful episodes become SFT rows
TAU2_PREFIX = "scaleenv_"  # tau2 domain names of our tasks: scaleenv_airline, ...
TAU2_CHECK = "scaleenv_check"  # the env-assertion function a tau2 domain over our server implements
TAU2_NOTE = ("ScaleEnv task. initial_state.initialization_data.agent_data.scaleenv.sql holds parameterized SQLite "
             "statements applied in order on top of the domain's seed database (generated_servers/<domain>/); "
             "evaluation_criteria.env_assertions hold the read-only SQL and answer checks (the reward), which "
             "generated_servers.<domain>.LocalEnvironment builds and verifies.")
TASK_INSTRUCTIONS = {
    "action": "Ask the agent to do what your reason for call says; give known info when asked; confirm when "
              "the agent asks you to confirm the details.",
    "multi_goal": "Ask for every request in your reason for call; give known info when asked; confirm when "
                  "asked. End the conversation once all requests are handled.",
    "information": "Make your requests and ask your questions; give known info when asked; confirm when asked. "
                   "Make sure the agent answers every question before you end the conversation.",
    "refusal": "Make every request in your reason for call. If the agent refuses part of it because of the "
               "policy, accept that and do not insist; let the rest be handled.",
}
TASK_INSTRUCTIONS["policy_refusal"] = TASK_INSTRUCTIONS["refusal"]  # asked in the same words as allowed requests


class ExportError(Exception):
    """A problem with the inputs, reported without a traceback."""


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def scenarios_from(inputs: list[str]) -> list[Scenario]:
    """Scenarios from domain names or scenario paths, sorted by id; a repeated id is an error."""
    found: dict[str, Scenario] = {}
    for item in inputs:
        path = Path(item)
        if not path.exists():
            path = ROOT / "tasks" / item / "scenarios.jsonl"
        if not path.exists():
            known = sorted(p.parent.name for p in (ROOT / "tasks").glob("*/scenarios.jsonl"))
            raise ExportError(f"no scenarios for {item!r}: give a scenario file or a domain ({', '.join(known)})")
        try:
            loaded = load_scenarios(path)
        except (ValidationError, ValueError) as exc:
            raise ExportError(f"{path}: not a valid scenario file: {exc}") from exc
        for s in loaded:
            if s.id in found and found[s.id] != s:
                raise ExportError(f"scenario {s.id!r} is given twice with different contents")
            found[s.id] = s
    return [found[k] for k in sorted(found)]


@functools.cache
def server_surface(domain: str) -> tuple[str, list[dict[str, Any]], str]:
    """The domain server's instructions, its tools as OpenAI functions and its env hash.

    Tools are listed through an in-process MCP client, exactly as an agent sees them.
    """
    from mcp import Client

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", domain):
        raise ExportError(f"bad domain name {domain!r}")
    try:
        package = importlib.import_module(f"generated_servers.{domain}")
    except ModuleNotFoundError as exc:
        raise ExportError(f"no generated server for {domain!r}: run `python -m generator build {domain}`") from exc

    async def listed() -> list[Any]:
        tools, cursor = [], None
        async with Client(package.build_server()) as client:
            while True:
                page = await client.list_tools(cursor=cursor)
                tools += page.tools
                cursor = page.next_cursor
                if not cursor:
                    return tools

    runtime = importlib.import_module(f"generated_servers.{domain}.runtime")
    return package.server.INSTRUCTIONS, openai_tools(asyncio.run(listed())), runtime.env_hash()


def verifiers_row(s: Scenario) -> dict[str, Any]:
    """One verifiers dataset row: `prompt`, `info` (JSON string), `task`, `tools` (JSON string)."""
    instructions, tools, _ = server_surface(s.domain)
    data = s.model_dump(mode="json")
    info = {k: data[k] for k in ("id", "domain", "env_hash", "seed", "now", "checks", "gold_actions",
                                 "initial_state", "user")}
    info.update(kind=s.metadata.kind, difficulty=s.metadata.difficulty)
    return {
        "prompt": [{"role": "system", "content": system_prompt(instructions)},
                   {"role": "user", "content": s.user.instruction}],
        "info": _json(info),
        "task": s.domain,
        "tools": _json(tools),
    }


def nemo_gym_row(s: Scenario) -> dict[str, Any]:
    """One NeMo Gym row: `responses_create_params` (Responses API `input` and function `tools`) and
    the `scenario_id` the server's /seed_session starts an episode from."""
    instructions, tools, _ = server_surface(s.domain)
    return {
        "responses_create_params": {
            "input": [{"role": "system", "content": system_prompt(instructions)},
                      {"role": "user", "content": s.user.instruction}],
            "tools": [{"type": "function", **tool["function"]} for tool in tools],
        },
        "scenario_id": s.id,
        "domain": s.domain,
        "env_hash": s.env_hash,
    }


def answer_values(s: Scenario) -> list[str]:
    """What the agent must tell the user: every value of the answer checks, as text (a decline
    check asks for no value: only that the agent says it cannot)."""
    return [str(v) for c in s.checks if c.kind == "answer" and c.expect != [["declined"]] for row in c.expect
            for v in (row if isinstance(row, list) else [row])]


def tau2_domain(domain: str) -> str:
    """The tau2 domain name of our domain: distinct from tau2's built-in ones (its `airline` is another database)."""
    return f"{TAU2_PREFIX}{domain}"


def tau2_task(s: Scenario) -> dict[str, Any]:
    """One tau2-bench task. Only fields tau2's `Task` model declares (it drops unknown keys on load): our
    initial state and metadata go in `initial_state.initialization_data.agent_data["scaleenv"]`, every
    check is an `env_assertions` entry (`scaleenv_check`, the check as its arguments)."""
    data = s.model_dump(mode="json")
    communicate = answer_values(s)
    return {
        "id": s.id,
        "description": {
            "purpose": f"{s.metadata.kind} task ({s.metadata.difficulty}): {', '.join(s.metadata.chain)}",
            "relevant_policies": None,
            "notes": TAU2_NOTE,
        },
        "user_scenario": {
            "persona": "; ".join(f"{k}: {v}" for k, v in sorted(s.user.profile.items())) or None,
            "instructions": {
                "domain": tau2_domain(s.domain),
                "reason_for_call": s.user.instruction,
                "known_info": "\n".join(s.user.known_info) or None,
                "unknown_info": "\n".join(s.user.unknown_info) or None,
                "task_instructions": " ".join([TASK_INSTRUCTIONS[s.metadata.kind], *s.user.behaviour]),
            },
        },
        "ticket": None,
        "initial_state": {
            "initialization_data": {"agent_data": {"scaleenv": {
                "domain": s.domain, "env_hash": s.env_hash, "seed": s.seed, "now": s.now,
                "kind": s.metadata.kind, "difficulty": s.metadata.difficulty,
                "sql": data["initial_state"]["statements"],
                "negative_controls": data["validation"]["negative_controls"],
            }}, "user_data": None},
            "initialization_actions": None,
            "message_history": None,
        },
        "evaluation_criteria": {
            "actions": [{"action_id": f"{s.id}-{i}", "requestor": "assistant", "name": a.tool,
                         "arguments": a.arguments, "info": None, "compare_args": None}
                        for i, a in enumerate(s.gold_actions)],
            "env_assertions": [{"env_type": "assistant", "func_name": TAU2_CHECK, "arguments": check,
                                "assert_value": True, "message": f"{check['kind']} check {check['id']}"}
                               for check in data["checks"]],
            "communicate_info": communicate,
            "nl_assertions": None,
            "reward_basis": ["DB", "COMMUNICATE"] if communicate else ["DB"],
        },
    }


def load_trajectories(paths: list[str]) -> list[dict[str, Any]]:
    """Episodes from `trajectories.jsonl` files, sorted by (domain, scenario_id, trial)."""
    rows = []
    for name in paths:
        path = Path(name)
        if not path.is_file():
            raise ExportError(f"no trajectories file {name!r} (sft reads trajectories.jsonl from `generator eval`)")
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ExportError(f"{path}:{n}: not JSON: {exc}") from exc
            if not isinstance(row, dict) or not isinstance(row.get("messages"), list) or "reward" not in row:
                raise ExportError(f"{path}:{n}: not an episode (needs `messages` and `reward`)")
            rows.append(row)
    return sorted(rows, key=lambda r: (str(r.get("domain", "")), str(r.get("scenario_id", "")), r.get("trial", 0)))


def sft_arguments(arguments: Any) -> Any:
    """Tool-call arguments as an object: chat templates (qwen2.5, llama3.1) `tojson` them, so a
    JSON string would come out double-encoded."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except json.JSONDecodeError:
            return arguments  # not JSON: the model's own text, kept as it was sent
    return arguments


def sft_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat messages for SFT: no null fields but `content`, arguments as objects, and each tool
    result named after the tool whose call it answers."""
    names: dict[str, str] = {}
    out = []
    for m in messages:
        m = {k: v for k, v in m.items() if v is not None or k == "content"}
        if m.get("tool_calls"):
            m["tool_calls"] = [{**call, "function": {**call["function"],
                                                     "arguments": sft_arguments(call["function"]["arguments"])}}
                               for call in m["tool_calls"]]
            names |= {call["id"]: call["function"]["name"] for call in m["tool_calls"] if call.get("id")}
        if m.get("role") == "tool" and m.get("tool_call_id") in names:
            m["name"] = names[m["tool_call_id"]]
        out.append(m)
    return out


def sft_rows(trajectories: list[dict[str, Any]], min_reward: float = SFT_MIN_REWARD) -> list[dict[str, Any]]:
    """TRL/ART rows `{"messages", "tools"}` from episodes whose reward is at least `min_reward`."""
    return [{"messages": sft_messages(t["messages"]), "tools": t.get("tools") or []}
            for t in trajectories if isinstance(t["reward"], int | float) and t["reward"] >= min_reward]


def run_export(args: Any, out: Any, err: Any) -> int:
    """The `export` command: exit 0 on success, 1 if nothing qualifies, 2 on bad inputs or an existing --out."""
    target = Path(args.out)
    if target.exists() and not args.force:
        err.print(f"error: {target} exists; pass --force to overwrite it", markup=False)
        return 2
    if target.is_dir():
        err.print(f"error: {target} is a folder; give a file path", markup=False)
        return 2
    if target.is_symlink() and not target.exists():  # writing would create a file wherever the link points
        err.print(f"error: {target} is a symbolic link to nothing; give the real path", markup=False)
        return 2
    try:
        if args.format == "sft":
            items = sft_rows(load_trajectories(args.inputs))
            what = f"trajectories with reward >= {SFT_MIN_REWARD}"
        else:
            scenarios = scenarios_from(args.inputs)
            for domain in sorted({s.domain for s in scenarios}):
                stale = sum(s.env_hash != server_surface(domain)[2] for s in scenarios if s.domain == domain)
                if stale:
                    err.print(f"warning: {stale} {domain} scenario(s) were made for another version of the "
                              "server (env_hash differs); run `python -m generator verify` on them", markup=False)
            row = {"verifiers": verifiers_row, "nemo-gym": nemo_gym_row, "tau2": tau2_task}[args.format]
            items = [row(s) for s in scenarios]
            what = "scenarios"
    except ExportError as exc:
        err.print(f"error: {exc}", markup=False)
        return 2
    if not items:
        err.print(f"error: no {what} in the inputs; nothing written", markup=False)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "tau2":
        text = json.dumps(items, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    else:
        text = "".join(_json(row) + "\n" for row in items)
    target.write_text(text, encoding="utf-8")
    unit = "task(s)" if args.format == "tau2" else "row(s)"
    out.print(f"wrote {len(items)} {args.format} {unit} to {target}", markup=False)
    return 0
