"""Initial states keep every foreign key, though images are made with foreign keys off.

On `tests/specs/billing.yaml`: one bill per visit (a UNIQUE foreign key), so a look-alike of a
bill bills another visit of the same patient, in the state of the bill's own visit, that has no
bill yet; when the patient has none, no look-alike is made.
"""

from __future__ import annotations

import random

from generator.compile.build import compile_domain
from generator.tasks.distractors import clone
from generator.tasks.draft import Dropped
from generator.tasks.environment import Environment
from generator.tasks.expand import expand_domain
from tests.support import ROOT, build_package

BILLING = ROOT / "tests" / "specs" / "billing.yaml"
FREE_VISITS = ("SELECT COUNT(*) FROM visits v WHERE patient_id = ? AND status = ? "
               "AND NOT EXISTS (SELECT 1 FROM bills b WHERE b.visit_id = v.visit_id)")


def test_no_initial_state_breaks_a_foreign_key(tmp_path):
    result = expand_domain(BILLING, 16, seed=3)
    runtime = build_package(BILLING, tmp_path / "pkg")[2]
    twins = 0
    for s in result.scenarios:
        conn = runtime.memory_copy(runtime.scenario_image(s.model_dump(mode="json")))
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == [], s.id
        twins += sum(d["role"] == "look-alike" and d["table"] == "bills" for d in s.metadata.distractors)
    assert twins  # look-alike bills were made, each on a visit that exists


def test_a_look_alike_bill_bills_a_free_visit_of_the_same_patient_or_is_not_made(tmp_path):
    env = Environment(compile_domain(BILLING), tmp_path)
    made = refused = 0
    for n, bill in enumerate(env.rows("bills")):
        conn = env.runtime.memory_copy(env.image)
        conn.execute("PRAGMA foreign_keys = ON")
        patient, status = conn.execute("SELECT patient_id, status FROM visits WHERE visit_id = ?",
                                       (bill["visit_id"],)).fetchone()
        try:
            twin, statements = clone(env, env.ir.table("bills"), bill, 100 + n, random.Random(n))
        except Dropped:
            assert conn.execute(FREE_VISITS, (patient, status)).fetchone()[0] == 0, bill["bill_id"]
            refused += 1
            continue
        for st in statements:
            conn.execute(st.sql, st.params)  # raises on a broken foreign key or UNIQUE constraint
        assert twin["patient_id"] == patient and twin["visit_id"] != bill["visit_id"]
        assert conn.execute("SELECT patient_id, status FROM visits WHERE visit_id = ?",
                            (twin["visit_id"],)).fetchone() == (patient, status)
        made += 1
    assert made and refused


def test_look_alikes_are_the_same_for_the_same_seed():
    def statements(seed: int) -> list[str]:
        return [st.model_dump_json() for s in expand_domain(BILLING, 6, seed=seed).scenarios
                for st in s.initial_state.statements]

    assert statements(1) == statements(1)
