"""The procedural tester classifies cases correctly, including real failures."""

from __future__ import annotations

from pathlib import Path

import yaml

from generator.probe.report import REJECTION, SUCCESS, UNEXPECTED
from generator.probe.run import run_probe
from tests.support import TINY


def test_tiny_domain_has_no_unexpected_failures_and_triggers_every_error():
    report = run_probe(TINY)
    assert report.unexpected == 0, [o.detail for o in report.outcomes if o.verdict == UNEXPECTED]
    verdicts = {(o.case.tool, o.case.name): o.verdict for o in report.outcomes}
    assert verdicts[("ship_order", "valid call")] == SUCCESS
    assert verdicts[("ship_order", "status shipped")] == REJECTION
    assert verdicts[("cancel_order", "check 1 (not_your_order)")] == REJECTION
    assert verdicts[("cancel_order", "refunds_pending_order")] == SUCCESS
    assert report.warnings == []


def mutated(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(TINY.read_text())
    change(data)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_wrong_expected_value_is_an_unexpected_failure(tmp_path):
    def change(data):
        data["tools"]["cancel_order"]["tests"][0]["expect"]["rows"][0]["values"]["balance"] = 999.0

    report = run_probe(mutated(tmp_path, change))
    failed = [o for o in report.outcomes if o.verdict == UNEXPECTED]
    assert [(o.case.tool, o.case.name) for o in failed] == [("cancel_order", "refunds_pending_order")]
    assert "balance" in failed[0].detail


def test_a_body_writing_an_undeclared_table_is_caught_at_run_time(tmp_path):
    """The checker reads table names in the body; a name built at run time only the probe sees."""

    def change(data):
        tool = data["tools"]["cancel_order"]
        tool["writes"] = ["orders"]
        body = tool["body"].replace('db.update("customers"', "db.update(target")
        tool["body"] = 'target = "".join(["custom", "ers"])\n' + body
        tool["tests"][0]["expect"]["changes"] = {"orders": {"update": 1}, "customers": {"update": 1}}

    report = run_probe(mutated(tmp_path, change))
    failed = [o.detail for o in report.outcomes if o.verdict == UNEXPECTED]
    assert any("undeclared" in d for d in failed)


def test_a_rejection_the_tool_does_not_make_is_an_unexpected_failure(tmp_path):
    def change(data):
        tool = data["tools"]["cancel_order"]
        tool["tests"].append(
            {"name": "rejects_shipped", "setup": ["UPDATE orders SET status = 'pending' WHERE order_id = 'O00001'"],
             "args": {"order_id": "O00001", "customer_id": "C00001"}, "expect": {"error": "not_cancellable"}}
        )

    report = run_probe(mutated(tmp_path, change))
    failed = [o for o in report.outcomes if o.verdict == UNEXPECTED]
    assert [o.case.name for o in failed] == ["rejects_shipped"]
    assert "succeeded" in failed[0].detail


def test_a_tool_that_crashes_where_a_rejection_is_expected_is_an_unexpected_failure(tmp_path):
    """A plain exception reaches the client as the bare "Error executing tool X", with no message."""

    def change(data):
        tool = data["tools"]["cancel_order"]
        tool["body"] = 'raise ValueError("boom")\n' + tool["body"]
        tool["tests"] = [
            {"name": "crashes", "setup": ["UPDATE orders SET status = 'pending' WHERE order_id = 'O00001'"],
             "args": {"order_id": "O00001", "customer_id": "C00001"}, "expect": {"error": "not_cancellable"}}
        ]

    report = run_probe(mutated(tmp_path, change))
    failed = [o for o in report.outcomes if o.verdict == UNEXPECTED]
    assert [o.case.name for o in failed] == ["crashes"]
    assert "Error executing tool cancel_order" in failed[0].detail
