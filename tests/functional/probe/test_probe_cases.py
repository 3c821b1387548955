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
