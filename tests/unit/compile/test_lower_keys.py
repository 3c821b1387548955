"""Lowering of composite keys: the DDL, the loads that name a row by every part, the not-found message."""

from __future__ import annotations

import sqlite3

from generator.compile.lower import auto_errors, lower
from generator.spec.models import DomainSpec

SPEC = DomainSpec.model_validate({
    "name": "x", "title": "x", "description": "x", "now": "2026-01-01T00:00:00",
    "tables": {
        "licenses": {"description": "x", "primary_key": ["provider_id", "state"],
                     "columns": {"provider_id": {"type": "text"}, "state": {"type": "text"},
                                 "expires_on": {"type": "date"}}},
        "audits": {"description": "x", "primary_key": "audit_id", "id_prefix": "A",
                   "foreign_keys": [{"columns": ["who", "where_"], "references": "licenses"}],
                   "columns": {"audit_id": {"type": "text"}, "who": {"type": "text"}, "where_": {"type": "text"}}},
    },
    "tools": {
        "get_license": {"kind": "get", "table": "licenses", "description": "x", "params": {
            "provider_id": {"type": "string", "ref": "licenses.provider_id", "description": "x"},
            "state": {"type": "string", "ref": "licenses.state", "description": "x"}}},
    },
})


def test_composite_key_and_foreign_key_compile_to_table_constraints_sqlite_accepts():
    ir = lower(SPEC)
    licenses, audits = ir.table("licenses"), ir.table("audits")
    assert "PRIMARY KEY (provider_id, state)" in licenses.create_sql
    assert "provider_id TEXT NOT NULL" in licenses.create_sql
    assert "FOREIGN KEY (who, where_) REFERENCES licenses (provider_id, state)" in audits.create_sql
    conn = sqlite3.connect(":memory:")
    conn.execute(licenses.create_sql)
    conn.execute(audits.create_sql)
    assert licenses.key == ("provider_id", "state") and licenses.key_where() == "provider_id = ? AND state = ?"
    assert licenses.key_of({"provider_id": "D1", "state": "CA", "expires_on": "x"}) == ("D1", "CA")


def test_params_that_ref_every_key_part_load_one_row():
    tool = lower(SPEC).tool("get_license")
    (load,) = tool.loads
    assert (load.entity, load.params, load.columns) == ("license", ("provider_id", "state"), ("provider_id", "state"))
    assert load.sql == "SELECT * FROM licenses WHERE provider_id = ? AND state = ?"
    assert load.fail_args == "provider_id=provider_id, state=state"
    assert tool.keys == ("provider_id", "state") and tool.key_args == "(provider_id, state)"


def test_the_not_found_message_of_a_composite_key_names_every_part():
    assert auto_errors(SPEC)["license_not_found"] == (
        "No license has provider_id {provider_id} and state {state}. "
        "Check them, or look it up with a list or search tool first.")


def test_a_foreign_key_gets_an_index_unless_the_primary_key_starts_with_it():
    tables = SPEC.model_dump(exclude_none=True)["tables"]
    tables["renewals"] = {"description": "x", "primary_key": ["provider_id", "state", "year"],
                          "foreign_keys": [{"columns": ["provider_id", "state"], "references": "licenses"}],
                          "columns": {"provider_id": {"type": "text"}, "state": {"type": "text"}, "year": {"type": "integer"}}}
    ir = lower(DomainSpec.model_validate(SPEC.model_dump(exclude_none=True) | {"tables": tables}))
    audits = ir.table("audits")
    assert audits.index_sql == ("CREATE INDEX audits_by_who_where_ ON audits (who, where_);",)
    assert ir.table("renewals").index_sql == () and ir.table("licenses").index_sql == ()
    conn = sqlite3.connect(":memory:")
    for statement in (ir.table("licenses").create_sql, audits.create_sql, *audits.index_sql):
        conn.execute(statement)
    plan = conn.execute("EXPLAIN QUERY PLAN SELECT * FROM audits WHERE who = ? AND where_ = ?", ("D1", "CA")).fetchall()
    assert "USING INDEX audits_by_who_where_" in plan[0][3]  # a license's audits without reading every audit
