"""Values of preconditions: the clock with an offset and rows one foreign key further, as the
generated code writes them and as the probe and the expander compute them (the same result)."""

from __future__ import annotations

from generator.compile.names import clock_value, value_expr
from generator.probe.rules import resolve

NOW = "2026-03-01T09:00:00"


def test_the_clock_with_an_offset_is_generated_as_the_runtimes_helpers() -> None:
    assert value_expr("$now - 60 days") == "db.now_plus(days=-60)"
    assert value_expr("$today + 1 day") == "db.today_plus(days=1)"
    assert value_expr("$now + 2 hours") == "db.now_plus(hours=2)"
    assert value_expr("$now") == "db.now"


def test_the_probe_computes_the_clock_in_the_same_iso_shape() -> None:
    assert clock_value("$now - 60 days", NOW) == "2025-12-31T09:00:00"
    assert clock_value("$today + 1 day", NOW) == "2026-03-02"
    assert clock_value("$now + 30 minutes", NOW) == "2026-03-01T09:30:00"
    assert clock_value("$today - 2 weeks", NOW) == "2026-02-15"
    assert clock_value("$order.created_at", NOW) is None


def test_a_value_one_foreign_key_further_reads_the_hop_variable() -> None:
    assert value_expr("$slot.provider.specialty") == "slot_provider['specialty']"
    entities = {"$now": NOW, "slot_provider": {"specialty": "dermatology"}, "slot": {"provider_id": "D1"}}
    assert resolve("$slot.provider.specialty", {}, entities) == "dermatology"
    assert resolve("$slot.provider_id", {}, entities) == "D1"
    assert resolve(["$now - 1 day", "x"], {}, entities) == ("2026-02-28T09:00:00", "x")


def test_a_rule_on_a_flag_reads_as_a_truth_test_where_the_flag_is_never_none() -> None:
    from generator.compile.lower import lower
    from generator.spec.load import load_spec

    _, spec = load_spec("airline")
    check = next(c for c in lower(spec).tool("add_travel_insurance").checks if c.error == "already_insured")
    assert check.failed == "reservation['insurance']"  # insurance must be false: it fails when the flag is set
    data = spec.model_dump(by_alias=True, exclude_unset=True)
    data["tables"]["reservations"]["columns"]["insurance"]["nullable"] = True  # NULL is not false: a comparison
    spec = type(spec).model_validate(data)
    check = next(c for c in lower(spec).tool("add_travel_insurance").checks if c.error == "already_insured")
    assert check.failed == "reservation['insurance'] != False"
