"""The eval harness without an LLM: the oracle scores 1.0 and the do-nothing agent 0 on committed
scenarios of every domain; pass^k/pass@k; summary.json; deterministic, resumable trajectories."""

from __future__ import annotations

import json

import pytest

from generator.cli import err, out, parser
from generator.harness.evaluate import pass_at_k, pass_hat_k, run_eval, summarize
from generator.tasks.scenario import load_scenarios
from tests.support import ROOT

DOMAINS = ["airline", "retail", "healthcare"]


def run(*argv: str, **extra: object) -> int:
    """`python -m generator eval ARGV` through the CLI's own parser."""
    args = parser().parse_args(["eval", *argv])
    vars(args).update(extra)
    return run_eval(args, out, err)


def lines(folder) -> list[dict]:
    return [json.loads(line) for line in (folder / "trajectories.jsonl").read_text().splitlines()]


def test_pass_hat_k_and_pass_at_k_on_a_hand_example():
    assert pass_hat_k(4, 2, 1) == 0.5 and pass_hat_k(4, 2, 2) == pytest.approx(1 / 6)
    assert pass_at_k(4, 2, 2) == pytest.approx(5 / 6) and pass_at_k(4, 0, 1) == 0.0 and pass_at_k(4, 4, 3) == 1.0
    usage = {"agent": {"prompt_tokens": 10, "completion_tokens": 1, "calls": 1}}

    def row(sid: str, trial: int, reward: float) -> dict:
        return {"scenario_id": sid, "domain": sid.split("-")[0], "trial": trial, "reward": reward, "turns": 2,
                "ending": "done", "usage": usage, "checks": [{"id": "c01", "passed": reward == 1.0}]}

    # a: 2 of 4 trials pass, b: 4 of 4, c: 0 of 4; d (another domain) has only 2 trials
    rows = [row(s, t, float(r)) for s, results in {"a-1": [1, 0, 1, 0], "a-2": [1, 1, 1, 1], "a-3": [0, 0, 0, 0]}.items()
            for t, r in enumerate(results)] + [row("d-1", 0, 1.0), row("d-1", 1, 0.0)]
    summary = summarize(rows, k=3)
    a = summary["domains"]["a"]
    assert a["pass^k"] == {"1": 0.5, "2": round((1 / 6 + 1 + 0) / 3, 4), "3": round((0 + 1 + 0) / 3, 4)}
    assert a["pass@k"] == {"1": 0.5, "2": round((5 / 6 + 1 + 0) / 3, 4), "3": round((1 + 1 + 0) / 3, 4)}
    assert a["reward_mean"] == 0.5 and a["check_failures"] == {"a-1/c01": 2, "a-3/c01": 4}
    assert summary["domains"]["d"]["pass^k"] == {"1": 0.5, "2": 0.0}  # capped at the trials it has
    assert summary["overall"]["pass^k"]["1"] == round((0.5 + 1 + 0 + 0.5) / 4, 4) and "3" not in summary["overall"]["pass^k"]
    assert summary["overall"]["usage"]["agent_prompt_tokens"] == 140


def test_oracle_scores_one_and_a_decline_everything_agent_only_where_all_must_be_declined(tmp_path, capsys):
    oracle, noop = tmp_path / "oracle", tmp_path / "noop"
    assert run(*DOMAINS, "--agent", "oracle", "--limit", "20", "--concurrency", "8", "--out", str(oracle)) == 0
    summary = json.loads((oracle / "summary.json").read_text())
    assert {"agent", "user", "k", "domains", "overall"} <= set(summary) and set(summary["domains"]) == set(DOMAINS)
    for block in [*summary["domains"].values(), summary["overall"]]:
        assert block["reward_mean"] == 1.0 and block["pass^k"] == {"1": 1.0} and block["pass@k"] == {"1": 1.0}
        assert block["check_failures"] == {} and block["endings"] == {"done": block["episodes"]}
    assert summary["overall"]["episodes"] == summary["overall"]["scenarios"] == 60
    rows = lines(oracle)
    assert [(r["scenario_id"], r["trial"]) for r in rows] == sorted((r["scenario_id"], r["trial"]) for r in rows)
    row = next(r for r in rows if len(r["messages"]) > 3)  # the first episode with a tool call
    assert {"scenario_id", "domain", "trial", "messages", "tools", "reward", "checks", "turns", "usage"} <= set(row)
    assert row["tools"][0]["type"] == "function" and {"name", "description", "parameters"} <= set(row["tools"][0]["function"])
    assistant, tool = row["messages"][2], row["messages"][3]
    assert [m["role"] for m in row["messages"][:2]] == ["system", "user"]
    assert tool["role"] == "tool" and tool["tool_call_id"] == assistant["tool_calls"][0]["id"]
    assert isinstance(assistant["tool_calls"][0]["function"]["arguments"], str)
    assert "reward 1.000" in capsys.readouterr().err

    assert run(*DOMAINS, "--agent", "noop", "--limit", "20", "--out", str(noop)) == 0
    summary = json.loads((noop / "summary.json").read_text())
    assert summary["overall"]["reward_mean"] < 0.25 and summary["overall"]["check_failures"]
    scenarios = {s.id: s for d in DOMAINS for s in load_scenarios(ROOT / "tasks" / d / "scenarios.jsonl")}
    for r in lines(noop):  # noop declines everything ("Sorry, I can't help"): right only where all must be declined
        writes = any(c.kind == "do_nothing" for c in scenarios[r["scenario_id"]].validation.negative_controls)
        assert r["reward"] == (0.0 if writes else 1.0), r["scenario_id"]


def test_output_does_not_depend_on_concurrency(tmp_path):
    for n in ("1", "8"):
        assert run("airline", "--agent", "oracle", "--limit", "4", "-k", "2", "--concurrency", n,
                   "--out", str(tmp_path / n)) == 0
    for name in ("trajectories.jsonl", "summary.json"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "8" / name).read_bytes()


def test_a_rerun_resumes_and_repairs_a_cut_file(tmp_path, capsys):
    argv = ["retail", "healthcare", "--agent", "oracle", "--limit", "3", "-k", "2", "--out", str(tmp_path)]
    assert run(*argv) == 0
    path = tmp_path / "trajectories.jsonl"
    complete = path.read_text()
    assert len(complete.splitlines()) == 12
    capsys.readouterr()
    assert run(*argv) == 0
    assert "12 episode(s) already in" in capsys.readouterr().err and path.read_text() == complete
    kept = complete.splitlines(keepends=True)[:9]
    path.write_text("".join(kept) + kept[0][:40])  # a crash: three episodes missing, a line cut short
    assert run(*argv) == 0
    text = capsys.readouterr().err
    assert "9 episode(s) already" in text and "3 to run" in text and "unreadable" in text
    assert path.read_text() == complete
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["overall"]["episodes"] == 12 and summary["overall"]["pass^k"] == {"1": 1.0, "2": 1.0}


def test_bad_invocations_are_clear_errors(tmp_path, capsys):
    assert run("airline", "--agent", "gpt", "--out", str(tmp_path)) == 2
    assert "unknown agent 'gpt'" in capsys.readouterr().err
    assert run("airline", "--agent", "noop", "--user", "human", "--out", str(tmp_path)) == 2
    assert "unknown user simulator 'human'" in capsys.readouterr().err
    assert run("atlantis", "--out", str(tmp_path)) == 2
    assert "no scenarios for 'atlantis'" in capsys.readouterr().err
    assert run("airline", "--agent", "oracle", "--limit", "1", "--out", str(tmp_path)) == 0
    assert run("airline", "--agent", "noop", "--limit", "1", "--out", str(tmp_path)) == 2
    assert "another agent/user" in capsys.readouterr().err
