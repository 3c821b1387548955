"""The probe's own cases are right: a rejection case breaks only the rule it is named after.

`tests/specs/bank.yaml` holds the shapes that once produced wrong cases: an update tool with
a required owner param, a `ne` rule against a primary key, `eq true` on a boolean column,
and two params naming rows of the same table.
"""

from __future__ import annotations

import pytest

from generator.probe.report import REJECTION, UNEXPECTED
from generator.probe.run import run_probe
from tests.support import ROOT

BANK = ROOT / "tests" / "specs" / "bank.yaml"


@pytest.fixture(scope="module")
def verdicts():
    report = run_probe(BANK)
    return {(o.case.tool, o.case.name): o for o in report.outcomes}


def test_the_bank_domain_has_no_unexpected_failures(verdicts):
    assert [(k, o.detail) for k, o in verdicts.items() if o.verdict == UNEXPECTED] == []


def test_nothing_to_update_keeps_the_required_params(verdicts):
    outcome = verdicts[("rename_account", "nothing to update")]
    assert outcome.verdict == REJECTION
    assert set(outcome.case.args) == {"account_id", "holder_id"}


def test_breaking_ne_against_a_primary_key_does_not_rewrite_the_key(verdicts):
    outcome = verdicts[("transfer", "check 1 (same_account)")]
    assert outcome.verdict == REJECTION
    assert not any("account_id =" in sql.split("WHERE")[0] for sql, _ in outcome.case.setup)


def test_breaking_eq_true_on_a_boolean_column_sets_it_false(verdicts):
    outcome = verdicts[("transfer", "check 3 (payee_unverified)")]
    assert outcome.verdict == REJECTION
    assert ("UPDATE accounts SET verified = ? WHERE account_id = ?", (0, outcome.case.args["target_id"])) in (
        outcome.case.setup
    )


def test_two_params_of_the_same_table_name_distinct_rows(verdicts):
    outcome = verdicts[("pay", "check 2 (payee_closed)")]
    assert outcome.verdict == REJECTION
    assert outcome.case.args["source_id"] != outcome.case.args["target_id"]


async def test_nested_result_shapes_compile_to_models_of_their_own(tmp_path):
    """A result field that is a list of objects (with a list of objects inside) gets its own
    models, not the table model that happens to share its singular name (`Account`)."""
    from mcp import Client

    from tests.support import build_package

    build, server, _ = build_package(BANK, tmp_path / "pkg")
    models = build.files["models.py"]
    assert "class AccountSummaryResultAccount(" in models and "class AccountSummaryResultAccountFlag(" in models
    assert "accounts: list[AccountSummaryResultAccount]" in models
    async with Client(server.build_server()) as client:
        result = await client.call_tool("account_summary", {"customer_id": "C00001"})
    assert not result.is_error, result.content
    accounts = result.structured_content["accounts"]
    assert len(accounts) == 2 and set(accounts[0]) == {"account_id", "balance", "flags"}
    assert accounts[0]["flags"] == [{"name": "frozen", "set": False}, {"name": "verified", "set": True}]
