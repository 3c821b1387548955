"""Attack corpus for code and SQL an LLM writes (tool bodies, seed expressions, test setups).

Three walls, each tested on its own: the static allow-list rejects every hostile body and
expression before anything runs (and the spec checker applies the same rules); SQL built at
run time, which no static check can see, is refused by the SQLite guard of a real generated
server; and a confined worker process contains code that got past both (no keys in its
environment, no network, processes, native code or writes outside its folder).
"""

from __future__ import annotations

import asyncio
import builtins
import datetime
import decimal
import json
import os
import re
import sys
import types
from pathlib import Path

import pytest
import yaml
from mcp import Client

from generator.errors import SpecError
from generator.sandbox import MODULE_ATTRS, SAFE_BUILTINS, VALUE_ATTRS, check_body, check_expr, check_sql
from generator.spec.load import load_spec
from generator.synth.confine import limit_resources, worker_env
from tests.support import ROOT, TINY, build_package

SCOPE = ["order_id", "customer_id", "order", "customer", "Order", "Customer"]
FIELDS = ["order_id", "customer_id", "status", "amount", "email", "balance", "name", "item"]
# (body, a phrase the violation must contain): reflection through allowed modules and objects,
# aliasing, the wall clock, escapes from the language subset, and SQL that reaches outside.
BODIES = {
    "statistics_sys_os": ("import statistics\nreturn statistics.sys.modules['os'].system('id')", "'sys'"),
    "json_codecs_open": ("import json\nf = json.codecs.open('/tmp/pwned', 'w')\nreturn 1", "'codecs'"),
    "json_codecs_builtins_exec": ("import json\njson.codecs.builtins.exec('1')\nreturn 1", "'codecs'"),
    "re_enum_sys": ("import re\nreturn re.enum.sys.modules", "re.enum is not allowed"),
    "re_functools": ("import re\nreturn re.functools.reduce", "re.functools is not allowed"),
    "statistics_alias_random": ("import statistics as s\nreturn s.random.SystemRandom", "s.random is not allowed"),
    "string_formatter_get_field": (
        "import string\nreturn string.Formatter().get_field('0.__class__.__base__', [1], {})", "string.Formatter"),
    "from_string_import_formatter": ("from string import Formatter\nreturn Formatter().vformat('{0}', [1], {})",
                                     "from string import Formatter is not allowed"),
    "from_json_import_decoder": ("from json import decoder\nreturn decoder.sys", "from json import decoder"),
    "from_statistics_import_sys": ("from statistics import sys\nreturn sys.modules", "from statistics import sys"),
    "import_submodule": ("import json.decoder\nreturn 1", "import of 'json.decoder' is not allowed"),
    "decimal_global_context": ("import decimal\ndecimal.getcontext().prec = 1\nreturn 1", "decimal.getcontext"),
    "itertools_endless": ("import itertools\nreturn list(itertools.repeat(1))", "itertools.repeat"),
    "db_alias_conn": ("d = db\nreturn await d.conn.execute('DROP TABLE orders')", "db is used only as db.<api>"),
    "db_passed_on": ("f = lambda x: x.conn\nreturn f(db)", "db is used only as db.<api>"),
    "db_in_list": ("return [db][0].conn", "db is used only as db.<api>"),
    "db_rebound": ("db = 1\nreturn db", "db is used only as db.<api>"),
    "db_raw_connection": ("await db.conn.execute('DROP TABLE orders')\nreturn 1", "db.conn is not part of the db API"),
    "db_private_connection": ("return db._conn", "'_conn'"),
    "bound_method_self": ("m = db.fetch_one\nreturn m.__self__", "'__self__'"),
    "clock_alias": ("import datetime\nclock = datetime.datetime.now\nreturn clock()", "wall clock"),
    "clock_from_import": ("from datetime import date\nreturn str(date.today())", "wall clock"),
    "clock_utcnow": ("from datetime import datetime\nf = datetime.utcnow\nreturn f()", "wall clock"),
    "clock_fromtimestamp": ("from datetime import datetime\nreturn datetime.fromtimestamp(0)", "wall clock"),
    "import_time": ("import time\nreturn time.time()", "import of 'time'"),
    "generator_frame": ("g = (x for x in [1])\nreturn g.gi_frame.f_back.f_globals['ERRORS']", "'gi_frame'"),
    "coroutine_frame": ("c = db.fetch_one('SELECT 1')\nreturn c.cr_frame.f_globals", "'cr_frame'"),
    "exception_traceback": ("try:\n    x = 1 / 0\nexcept Exception as e:\n    return e.__traceback__.tb_frame",
                            "'__traceback__'"),
    "exception_with_traceback": ("try:\n    x = 1 / 0\nexcept Exception as e:\n    return e.with_traceback(None)",
                                 "'with_traceback'"),
    "mro_to_object": ("return ToolError.mro()[-1]", "'mro'"),
    "dunder_subclasses": ("return ().__class__.__base__.__subclasses__()", "'__class__'"),
    "format_reflection": ("return '{0.__class__}'.format(order)", ".format() is not allowed"),
    "format_alias": ("fmt = '{x.__class__}'.format\nreturn fmt(x=1)", ".format() is not allowed"),
    "format_map": ("return '{x.__class__}'.format_map({'x': 1})", ".format_map() is not allowed"),
    "model_fields_annotation": ("return Order.model_fields['status'].annotation", "'model_fields'"),
    "field_named_like_a_frame": ("return order.f_globals", "'f_globals'"),
    "unknown_object_attribute": ("return order.factories", "'factories'"),
    "server_context": ("return ctx.request_context.lifespan_context", "name 'ctx' is not available"),
    "server_store": ("return store(ctx).conn", "name 'store' is not available"),
    "server_errors": ("ERRORS['x'] = 'y'\nreturn 1", "name 'ERRORS' is not available"),
    "server_path": ("return Path('/etc/passwd').read_text()", "name 'Path' is not available"),
    "fail_globals": ("return fail.__globals__['os']", "'__globals__'"),
    "builtins_dict": ("return __builtins__['eval']('1')", "'__builtins__'"),
    "getattr_alias": ("g = getattr\nreturn g(db, 'conn')", "getattr() is not allowed"),
    "eval_in_dict": ("return {'e': eval}['e']('1')", "eval() is not allowed"),
    "exec": ("exec('x = 1')\nreturn 1", "exec() is not allowed"),
    "compile": ("return compile('1', 'f', 'eval')", "compile() is not allowed"),
    "dunder_import": ("return __import__('os').system('id')", "__import__() is not allowed"),
    "import_os": ("import os\nreturn os.environ['OPENAI_API_KEY']", "import of 'os' is not allowed"),
    "import_importlib": ("import importlib\nreturn importlib.import_module('os')", "import of 'importlib'"),
    "open_file": ("return open('/etc/passwd').read()", "open() is not allowed"),
    "vars": ("return vars(order)", "vars() is not allowed"),
    "type": ("return type(order)", "type() is not allowed"),
    "print_to_wire": ("print('{}')\nreturn 1", "print() is not allowed"),
    "breakpoint": ("breakpoint()\nreturn 1", "breakpoint() is not allowed"),
    "lambda_globals": ("f = lambda: globals()\nreturn f()", "globals() is not allowed"),
    "class_def": ("class X:\n    pass\nreturn X", "class definitions are not allowed"),
    "nested_def": ("def helper():\n    return 1\nreturn helper()", "nested functions are not allowed"),
    "with_block": ("with open('x') as f:\n    return f.read()", "with blocks are not allowed"),
    "global": ("global ERRORS\nERRORS = {}\nreturn 1", "global statements are not allowed"),
    "walrus": ("if (n := 1):\n    return n", "walrus"),
    "yield": ("yield 1", "yield is not allowed"),
    "match": ("match order:\n    case _:\n        pass\nreturn 1", "Match is not allowed"),
    "sql_attach": ("await db.execute(\"ATTACH DATABASE '/tmp/pwned.db' AS x\")\nreturn 1", "outside the database"),
    "sql_vacuum_into": ("await db.execute(\"VACUUM INTO '/tmp/pwned.db'\")\nreturn 1", "outside the database"),
    "sql_pragma": ("await db.execute('PRAGMA foreign_keys = OFF')\nreturn 1", "outside the database"),
    "sql_load_extension": ("await db.execute(\"SELECT load_extension('/tmp/evil')\")\nreturn 1", "outside the database"),
}  # fmt: skip
SEED_EXPRS = {
    "faker_generator": ("fake.generator.random.seed(1)", "'generator'"),
    "faker_providers": ("fake.providers[0]", "'providers'"),
    "faker_factories": ("fake.factories[0]", "'factories'"),
    "faker_set_formatter": ("fake.set_formatter('name', len)", "'set_formatter'"),
    "faker_format": ("fake.format('{{name}}')", ".format() is not allowed"),
    "rng_state": ("rng.setstate(rng.getstate())", "'setstate'"),
    "dunder": ("(1).__class__.__base__.__subclasses__()", "'__class__'"),
    "function_globals": ("lookup.__globals__['os']", "'__globals__'"),
    "wall_clock_call": ("date.today()", "wall clock"),
    "wall_clock_alias": ("(lambda f: f())(datetime.now)", "wall clock"),
    "open": ("open('/etc/passwd').read()", "open() is not allowed"),
    "import": ("__import__('os')", "__import__() is not allowed"),
    "unknown_name": ("os.environ", "name 'os' is not available"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BODIES))
def test_static_allow_list_rejects_each_hostile_body(name):
    code, expected = BODIES[name]
    found = [str(v) for v in check_body(code, SCOPE, FIELDS)]
    assert any(expected in v for v in found), found


@pytest.mark.parametrize("name", sorted(SEED_EXPRS))
def test_static_allow_list_rejects_each_hostile_seed_expression(name):
    code, expected = SEED_EXPRS[name]
    found = [str(v) for v in check_expr(code)]
    assert any(expected in v for v in found), found


def test_setup_sql_reaching_outside_is_rejected_in_any_case_or_spacing():
    for sql in ("attach database 'x.db' as x", "ATTACH   'x.db' AS x", "vacuum into '/tmp/x'", "Pragma writable_schema=1",
                "DETACH x", "select load_extension('e')"):
        assert check_sql(sql), sql


def reachable(value: object, depth: int, seen: set[int]) -> list[tuple[str, object]]:
    """Every object reached from `value` through attribute names the allow-list lets a body use."""
    found, frontier = [], [("", value)]
    for _ in range(depth):
        nxt = []
        for path, obj in frontier:
            for name in sorted(VALUE_ATTRS):
                try:
                    child = getattr(obj, name)
                except Exception:
                    continue
                if id(child) not in seen:
                    seen.add(id(child))
                    nxt.append((f"{path}.{name}", child))
        found += nxt
        frontier = nxt
    return found


def test_no_chain_of_allowed_attributes_reaches_a_module_or_a_dangerous_builtin():
    dangerous = {id(f) for f in (builtins.eval, builtins.exec, builtins.open, builtins.__import__, builtins.getattr,
                                 builtins.globals, builtins.compile, os.system, os.popen)}  # fmt: skip
    roots = [("", v) for v in ("", b"", 0, 1.5, True, [], {}, set(), frozenset(), (), range(2),
                                datetime.date(2026, 1, 1), datetime.datetime(2026, 1, 1), datetime.timedelta(1),
                                decimal.Decimal("1.5"), re.compile("a"), re.match("a", "a"), ValueError("x"))]
    roots += [(name, getattr(builtins, name)) for name in sorted(SAFE_BUILTINS) if hasattr(builtins, name)]
    for module, attrs in MODULE_ATTRS.items():
        roots += [(f"{module}.{a}", getattr(sys.modules.get(module) or __import__(module), a)) for a in sorted(attrs)]
    bad, seen, keep = [], set(), roots  # `keep` holds every object, so no id is reused while walking
    for path, root in roots:
        found = reachable(root, 3, seen)
        keep = [*keep, *found]
        for chain, obj in [(path, root), *((path + c, o) for c, o in found)]:
            if isinstance(obj, types.ModuleType | types.FrameType | types.CodeType) or id(obj) in dangerous:
                bad.append(chain)
    assert not bad, bad[:20]


@pytest.mark.parametrize(("where", "code", "expected"), [
    (("tools", "cancel_order", "body"), "import json\nreturn json.codecs.open('/tmp/pwned', 'w')\n",
     "body is not allowed to run: attribute 'codecs'"),
    (("tables", "customers", "columns", "name", "gen"), {"expr": "fake.generator.random.random()"},
     "expr is not allowed to run: attribute 'generator'"),
    (("tools", "cancel_order", "tests", 0, "setup", 0), "VACUUM INTO '/tmp/pwned'", "outside the database"),
])  # fmt: skip
def test_the_spec_checker_applies_the_same_allow_list(tmp_path, where, code, expected):
    spec = yaml.safe_load(TINY.read_text())
    node = spec
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = code
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert expected in "\n".join(str(d) for d in caught.value.diagnostics)
    assert not Path("/tmp/pwned").exists()


# --- the second wall: SQL built at run time, through a real generated server -------------------------

RUNTIME_SQL = {
    "attach_concat": "await db.execute('ATT' + 'ACH DATABASE ' + QUOTED + ' AS x')",
    "attach_param": "await db.execute('ATT' + 'ACH ? AS x', (TARGET,))",
    "attach_comment": "await db.execute('ATTACH/**/' + QUOTED + ' AS x')",
    "vacuum_into": "await db.execute('VAC' + 'UUM INTO ' + QUOTED)",
    "commit_attach_begin": "await db.execute('COM' + 'MIT')\nawait db.execute('ATT' + 'ACH ' + QUOTED + ' AS x')"
                           "\nawait db.execute('BEGIN')",
    "commit_cached_text": "await db.execute('COMMIT')",
    "rollback": "await db.execute('ROLL' + 'BACK')",
    "savepoint": "await db.execute('SAVE' + 'POINT s')",
    "release_savepoint": "await db.execute('REL' + 'EASE s')",
    "rollback_to_savepoint": "await db.execute('ROLL' + 'BACK TO s')",
    "pragma_foreign_keys_off": "await db.execute('PRA' + 'GMA foreign_keys = OFF')",
    "pragma_writable_schema": "await db.execute('PRA' + 'GMA writable_schema = ON')",
    "load_extension": "await db.fetch_one('SELECT load_' + 'extension(?)', (TARGET,))",
    "schema_change": "await db.execute('DROP ' + 'TABLE orders')",
    "create_table": "await db.execute('CREATE ' + 'TABLE evil (x)')",
    "endless_recursive_cte": "await db.fetch_one('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
                             " SELECT count(*) FROM c')",
}  # fmt: skip
READ_ONLY_SQL = {
    "write_in_read_only_tool": "await db.execute('UPD' + 'ATE customers SET balance = 0')",
    "begin_in_read_only_tool": "await db.execute('BEGIN IMMEDIATE')",
    "vacuum_in_read_only_tool": "await db.execute('VAC' + 'UUM INTO ' + QUOTED)",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    """The tiny server with one custom tool per attack; each body passes the static checks."""
    root = tmp_path_factory.mktemp("hostile")
    target = root / "outside" / "pwned.db"
    spec = yaml.safe_load(TINY.read_text())
    param = spec["tools"]["update_email"]["params"]["customer_id"]
    for name, sql in {**RUNTIME_SQL, **READ_ONLY_SQL}.items():
        spec["tools"][f"attack_{name}"] = {
            "kind": "custom", "table": "customers", "description": "A hostile body.", "params": {"customer_id": param},
            **({} if name in READ_ONLY_SQL else {"writes": ["customers"]}),
            "body": f"TARGET = {str(target)!r}\nQUOTED = \"'\" + TARGET + \"'\"\n{sql}\nrow = await db.fetch_one('SELECT * FROM customers WHERE"
                    " customer_id = ?', (customer_id,))\nreturn Customer(**row)\n",
        }  # fmt: skip
    path = root / "hostile.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    target.parent.mkdir()
    _, server, runtime = build_package(path, root / "pkg")
    return server, target


@pytest.mark.parametrize("name", sorted({**RUNTIME_SQL, **READ_ONLY_SQL}))
def test_sql_built_at_run_time_is_refused_by_the_servers_guard(hostile, name):
    server, target = hostile

    async def attack() -> tuple[object, list, object]:
        async with Client(server.build_server()) as client:
            before = await client.call_tool("update_email", {"customer_id": "C00001", "email": "before@example.com"})
            result = await asyncio.wait_for(client.call_tool(f"attack_{name}", {"customer_id": "C00001"}), 30)
            after = await client.call_tool("update_email", {"customer_id": "C00001", "email": "safe@example.com"})
            return before, result, after

    before, result, after = asyncio.run(attack())
    assert result.is_error, result
    assert not list(target.parent.iterdir())  # no file was attached, vacuumed into or loaded
    assert not after.is_error and after.structured_content["email"] == "safe@example.com"  # the session still works
    assert after.structured_content["balance"] == before.structured_content["balance"]  # nothing was written


# --- the third wall: a confined worker contains code that got past both ------------------------------

ESCAPE = """
import json, os, socket, subprocess, sys
report = {"env": {k: v for k, v in os.environ.items()}}
def attempt(name, action):
    try:
        report[name] = repr(action())
    except BaseException as exc:
        report[name] = "refused: " + repr(exc)
attempt("write", lambda: open(sys.argv[1], "w").write("pwned"))
attempt("mkdir", lambda: os.mkdir(sys.argv[1] + ".d"))
attempt("rename_out", lambda: os.rename("inside.txt", sys.argv[1] + ".moved"))
attempt("parent_env", lambda: open(f"/proc/{os.getppid()}/environ", "rb").read().decode(errors="replace"))
attempt("network", lambda: socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=2))
attempt("dns", lambda: socket.getaddrinfo("example.com", 80))
attempt("subprocess", lambda: subprocess.run(["touch", sys.argv[1]]))
attempt("system", lambda: os.system("touch " + sys.argv[1]))
attempt("ctypes", lambda: __import__("ctypes").CDLL(None).system(b"touch " + sys.argv[1].encode()))
attempt("memory_bomb", lambda: len(bytearray(16 << 30)))
attempt("big_file", lambda: open("big.bin", "wb").write(bytes(128 << 20)))
open("report.json", "w").write(json.dumps(report))
"""


def test_a_confined_worker_contains_code_that_got_past_the_static_checks(tmp_path, monkeypatch):
    import socket

    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-0123456789")
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    (work / "inside.txt").write_text("x")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    script = ("import sys\nfrom pathlib import Path\nfrom generator.synth.confine import confine\n"
              "confine([Path.cwd()])\n" + ESCAPE)  # fmt: skip

    async def run() -> int:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, str(outside / "pwned"), str(listener.getsockname()[1]),
            cwd=work, env=worker_env(ROOT, work), preexec_fn=limit_resources,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, err.decode()[-2000:]
        return proc.returncode

    asyncio.run(run())
    with pytest.raises(TimeoutError):
        listener.accept()  # nobody connected
    listener.close()
    report = json.loads((work / "report.json").read_text())
    assert not list(outside.iterdir()), list(outside.iterdir())
    assert "sk-canary" not in json.dumps(report)  # neither its own environment nor the parent's holds the key
    assert set(report["env"]) <= {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "TMPDIR", "HOME",
                                  "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED", "PYTHONNOUSERSITE"}
    for name in ("write", "mkdir", "rename_out", "parent_env", "network", "dns", "subprocess", "system", "ctypes",
                 "memory_bomb", "big_file"):  # fmt: skip
        assert report[name].startswith("refused: "), (name, report[name])
    assert (work / "inside.txt").exists()


def test_a_refused_statement_reaches_the_debug_role_saying_what_was_refused(tmp_path):
    from generator.synth import isolate

    spec = yaml.safe_load(TINY.read_text())
    spec["tools"]["cancel_order"]["body"] = (
        "await db.execute('ATT' + 'ACH DATABASE ' + \"'\" + order_id + \"'\" + ' AS x')\n"
        + spec["tools"]["cancel_order"]["body"]
    )
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    outcomes, _ = asyncio.run(isolate.probe(path, tmp_path, limit=30))
    details = [o["detail"] for o in outcomes if o["tool"] == "cancel_order" and o["verdict"] == "unexpected failure"]
    assert details and all("SqlRefused: tool SQL may only read and write rows: ATTACH" in d for d in details), details
    assert not list(tmp_path.glob("O0*"))  # no database file was attached into being
