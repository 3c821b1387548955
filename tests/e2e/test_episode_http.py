"""The HTTP episode API, as a harness uses it: two episodes, gold on one, verify both, delete."""

from __future__ import annotations

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from generator.tasks.expand import expand_domain
from tests.support import TINY, build_package, serve_http


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("pkg")
    build_package(TINY, root)
    with serve_http("probe_tiny", root, "--control-token", "s3cret") as url:
        yield url


@pytest.fixture(scope="module")
def scenario():
    return expand_domain(TINY, 1, seed=4).scenarios[0].model_dump(mode="json")


async def test_episode_api_lifecycle(served, scenario):
    auth = {"Authorization": "Bearer s3cret"}
    async with httpx2.AsyncClient(base_url=served, headers=auth) as http:
        assert (await http.post("/episodes", json={"scenario": scenario}, headers={"Authorization": "no"})).status_code == 401
        first = (await http.post("/episodes", json={"scenario": scenario})).json()["episode_id"]
        second = (await http.post("/episodes", json={"scenario": scenario})).json()["episode_id"]
        async with httpx2.AsyncClient(headers={"X-Episode-Id": first, **auth}) as bound:
            async with Client(streamable_http_client(f"{served}/mcp", http_client=bound)) as client:
                names = [t.name for t in (await client.list_tools()).tools]
                for action in scenario["gold_actions"]:
                    assert not (await client.call_tool(action["tool"], action["arguments"])).is_error
        assert not any(word in name for name in names for word in ("verify", "reset", "episode", "check"))
        played = (await http.post(f"/episodes/{first}/verify", json={})).json()
        untouched = (await http.post(f"/episodes/{second}/verify")).json()
        assert played["reward"] == 1.0 and untouched["reward"] < 1.0
        assert {c["id"] for c in played["checks"]} == {c["id"] for c in scenario["checks"]}
        for body, status in ((b"not json", 400), (b"[1, 2]", 400), (b'{"transcript": 42}', 400),
                             (b'{"transcript": "' + b"x" * (1 << 20) + b'x"}', 413)):
            bad = await http.post(f"/episodes/{first}/verify", content=body)
            assert bad.status_code == status and bad.json()["error"], body[:20]
        assert (await http.post(f"/episodes/{first}/verify", json={})).json()["reward"] == 1.0  # checks wrote nothing
        state = await http.get(f"/episodes/{first}/state")
        assert state.content.startswith(b"SQLite format 3")
        for episode in (first, second):
            assert (await http.delete(f"/episodes/{episode}")).status_code == 204
        gone = await http.post(f"/episodes/{first}/verify")
        assert gone.status_code == 404 and "no episode" in gone.json()["error"]
        bad = await http.post("/episodes", content=b"not json")
        assert bad.status_code == 400


async def test_plain_mcp_clients_without_the_header_use_the_default_database(served):
    async with httpx2.AsyncClient(headers={"Authorization": "Bearer s3cret"}) as http:  # the token covers /mcp too
        async with Client(streamable_http_client(f"{served}/mcp", http_client=http)) as client:
            got = await client.call_tool("get_customer", {"customer_id": "C00001"})
    assert got.structured_content["customer_id"] == "C00001"


async def test_policy_resource_and_system_prompt_follow_the_episode_clock(served, scenario):
    auth = {"Authorization": "Bearer s3cret"}
    changed = {**scenario, "now": "2031-07-04T15:30:00"}
    async with httpx2.AsyncClient(base_url=served, headers=auth) as http:
        episode = (await http.post("/episodes", json={"scenario": changed})).json()["episode_id"]
    async with httpx2.AsyncClient(headers={"X-Episode-Id": episode, **auth}) as bound:
        async with Client(streamable_http_client(f"{served}/mcp", http_client=bound)) as client:
            resources = (await client.list_resources()).resources
            policy = await client.read_resource("policy://tiny")
            prompts = (await client.list_prompts()).prompts
            prompt = await client.get_prompt("agent_system_prompt")
    assert [(str(r.uri), r.mime_type) for r in resources] == [("policy://tiny", "text/markdown")]
    assert policy.contents[0].text == "Only pending orders can be cancelled."
    assert [p.name for p in prompts] == ["agent_system_prompt"] and prompts[0].description
    text = prompt.messages[0].content.text
    assert "Only pending orders can be cancelled." in text and text.endswith("The current time is 2031-07-04T15:30:00.")


async def test_nemo_gym_seed_session_reaches_the_episode_tools_and_verify_scores_it(served, scenario):
    auth = {"Authorization": "Bearer s3cret"}
    row = {"scenario": scenario, "responses_create_params": {"input": [{"role": "user", "content": "hi"}]}}
    async with httpx2.AsyncClient(base_url=served, headers=auth) as gym:
        seeded = await gym.post("/seed_session", json=row)
        assert seeded.status_code == 200 and seeded.cookies.get("episode_id") == seeded.json()["episode_id"]
        mcp = seeded.json()["mcp"]
        async with httpx2.AsyncClient(headers={**mcp["headers"], **auth}) as bound:
            async with Client(streamable_http_client(served + mcp["url_path"], http_client=bound)) as client:
                for action in scenario["gold_actions"]:
                    assert not (await client.call_tool(action["tool"], action["arguments"])).is_error
        said = {"output": [{"type": "message", "role": "assistant",
                            "content": [{"type": "output_text", "text": "All done."}]}]}
        verified = (await gym.post("/verify", json={**row, "response": said})).json()  # the cookie names the session
        assert verified["reward"] == 1.0 and verified["responses_create_params"] == row["responses_create_params"]
        again = await gym.post("/verify", json={**row, "response": said})
        assert again.status_code == 404  # verify ends the session
        idle = (await gym.post("/seed_session", json=row)).json()["episode_id"]
        assert (await gym.post("/verify", json={**row, "response": said, "episode_id": idle})).json()["reward"] == 0.0
        assert (await gym.post("/seed_session", json={"responses_create_params": {}})).status_code == 400
        bad = await gym.post("/verify", json={**row, "response": "text"})
        assert bad.status_code in (400, 404)


async def test_nemo_gym_agents_call_tools_by_route_on_the_session_episode(served, scenario):
    """NeMo Gym's simple agent POSTs each call to /<tool name> with the session cookie."""
    auth = {"Authorization": "Bearer s3cret"}
    row = {"scenario": scenario, "responses_create_params": {"input": "hi"}}
    said = {"output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Done."}]}]}
    async with httpx2.AsyncClient(base_url=served, headers=auth) as gym:
        assert (await gym.post("/get_customer", json={"customer_id": "C00001"})).status_code == 400  # no session yet
        assert (await gym.post("/seed_session", json=row)).status_code == 200
        for action in scenario["gold_actions"]:
            called = await gym.post(f"/{action['tool']}", json=action["arguments"])
            assert called.status_code == 200 and isinstance(called.json(), dict), called.text
        refused = await gym.post("/get_customer", json={"customer_id": "C99999"})
        assert refused.status_code == 400 and "C99999" in refused.text
        unknown = await gym.post("/no_such_tool", json={})
        assert unknown.status_code == 400 and "no_such_tool" in unknown.text
        assert (await gym.post("/verify", json={**row, "response": said})).json()["reward"] == 1.0
