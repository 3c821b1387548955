"""The edges role judges computed edges in batches and can never cost a domain its finished work."""

from __future__ import annotations

import asyncio
import json

import yaml

from generator.synth.pipeline import EDGE_BATCH, Config, Synthesis
from tests.support import ROOT

TINY = yaml.safe_load((ROOT / "tests" / "specs" / "tiny.yaml").read_text())


class Replies:
    """A chat model that answers every request with the next of `texts` (the last one repeats)."""

    def __init__(self, *texts: str):
        self.texts, self.calls = list(texts), 0

    async def complete(self, messages, tools=None, **params):  # noqa: ANN001, ANN201 - the ChatModel protocol
        self.calls += 1
        text = self.texts.pop(0) if len(self.texts) > 1 else self.texts[0]
        return {"role": "assistant", "content": text}, {"prompt_tokens": 10, "completion_tokens": 5}


def judge(chat: Replies, tmp_path) -> tuple[dict, Synthesis]:  # noqa: ANN001
    synthesis = Synthesis("tiny", Config(model="x", out=tmp_path), {"*": chat}, log=lambda _: None)
    return asyncio.run(synthesis.confirm_edges(TINY)), synthesis


def test_edges_the_model_leaves_out_keep_their_computed_verdict(tmp_path):
    names = [e["edge"] for e in judge(Replies('{"confirmed": []}'), tmp_path)[0]["edges"]]
    assert len(names) >= 4
    reply = {"confirmed": [f"  {names[0].upper()} "], "rejected": [{"edge": names[1], "reason": "no real link"}]}
    edges, synthesis = judge(Replies(json.dumps(reply)), tmp_path)
    verdicts = {e["edge"]: (e["confirmed"], e["judged"]) for e in edges["edges"]}
    assert verdicts[names[0]] == (True, True) and verdicts[names[1]] == (False, True)
    assert all(verdicts[n] == (True, False) for n in names[2:])  # said nothing: kept as computed
    assert edges["unjudged"] == len(names) - 2 and edges["rejected"] == 1
    assert edges["confirmed"] + edges["rejected"] == edges["candidates"] == len(names)


def test_a_batch_the_model_never_answers_keeps_all_its_edges_and_the_domain_goes_on(tmp_path):
    chat = Replies("I think they all look fine!")
    edges, synthesis = judge(chat, tmp_path)
    batches = -(-edges["candidates"] // EDGE_BATCH)
    assert batches == 2 and chat.calls == 3 * batches
    assert edges["unjudged"] == edges["confirmed"] == edges["candidates"] > EDGE_BATCH
    said = [line for line in synthesis.result.log if "not judged" in line]
    assert len(said) == 2 and "(SynthesisError: edges: no acceptable reply after 3 attempts" in said[0]
    assert synthesis.ledger.by_role["edges"].calls == 6  # the failed batches' tokens are still reported


def test_a_reply_about_other_edges_is_sent_back_once(tmp_path):
    names = [e["edge"] for e in judge(Replies('{"confirmed": []}'), tmp_path)[0]["edges"]]
    chat = Replies('{"confirmed": ["a -> b [data_flow]"]}', json.dumps({"confirmed": names}))
    edges, synthesis = judge(chat, tmp_path)
    assert chat.calls == 3 and synthesis.ledger.retries == {"edges": 1} and edges["unjudged"] == 0  # 2 batches
