"""Database runtime of the Tiny shop server.

Each server session owns one SQLite database (an in-memory copy of the seed, used on the
event loop, or a file, through aiosqlite), a fixed clock stored in the database, per-table
id sequences, and runs every tool call as one transaction (in memory, a savepoint of the one
transaction the database is held in, so it can be rolled back to its image and recycled): a
rejected call changes nothing.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import math
import re
import secrets
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from .ids import make_id

HERE = Path(__file__).parent
ID_FORMATS = {
    "customers": ("counter", "C", "customer_id"),
    "orders": ("counter", "O", "order_id"),
}  # table -> (id format, prefix, key column): see ids.py


def dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


@functools.cache
def seed_image() -> bytes:
    """The seed database, built once per process and serialized so copies are cheap."""
    conn = sqlite3.connect(":memory:")
    conn.executescript((HERE / "schema.sql").read_text() + (HERE / "seed.sql").read_text())
    image = conn.serialize()
    conn.close()
    return image


@functools.cache
def seed_source() -> sqlite3.Connection:
    """The seed database in a connection kept for the process: what new in-memory databases are copied from."""
    return memory_copy(seed_image())


@functools.cache
def seed_now() -> str:
    """The seed's clock, read once per process: a new store on the seed need not ask its database."""
    return seed_source().execute("SELECT value FROM _env WHERE key = 'now'").fetchone()[0]


def memory_copy(image: bytes) -> sqlite3.Connection:
    """A private in-memory database holding `image`."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.deserialize(image)
    return conn


def env_hash() -> str:
    """Content hash of this server (its provenance file), which scenarios record."""
    return hashlib.sha256((HERE / "provenance.json").read_bytes()).hexdigest()


SCENARIO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_committed: dict[
    Path, tuple[tuple[int, int], dict[str, str]]
] = {}  # scenarios.jsonl: (mtime, size), id -> line


def committed_scenario(scenario_id: str) -> dict[str, Any]:
    """One of this domain's committed scenarios, by id only (tasks/tiny/ under the cwd or
    the checkout, else the copy an installed package carries): never a path, so a client naming a
    scenario can't make the server read a file."""
    if not isinstance(scenario_id, str) or not SCENARIO_ID.fullmatch(scenario_id):
        raise FileNotFoundError(
            f"no scenario {str(scenario_id)[:80]!r}: a scenario id is letters, digits, - and _"
        )
    folders = [root / "tasks" / "tiny" for root in (Path.cwd(), HERE.parent.parent)]
    for folder in folders:
        candidate = folder / f"{scenario_id}.json"
        if candidate.is_file():
            return json.loads(candidate.read_text())
    for lines in [
        *(path for folder in folders for path in sorted(folder.glob("*.jsonl"))),
        HERE / "scenarios.jsonl",
    ]:
        if not lines.is_file():
            continue
        stat = lines.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        if _committed.get(lines, (None, {}))[0] != key:
            index = {}
            for line in lines.read_text().splitlines():
                if line.strip():
                    index[json.loads(line)["id"]] = line
            _committed[lines] = (key, index)
        if scenario_id in _committed[lines][1]:
            return json.loads(_committed[lines][1][scenario_id])
    raise FileNotFoundError(f"no scenario {scenario_id!r} among the committed scenarios of tasks/tiny/")


def find_scenario(ref: str) -> dict[str, Any]:
    """A scenario from a JSON file (the command line's --scenario), else a committed one by id."""
    path = Path(ref)
    if path.is_file():
        return json.loads(path.read_text())
    return committed_scenario(ref)


MAX_TEXT = 10_000  # characters of one string argument (SQLite's LIKE patterns stop at 50,000 bytes)
MAX_ITEMS = 1_000  # entries of one array argument
INT64 = (-(1 << 63), (1 << 63) - 1)  # what SQLite stores as an INTEGER


def argument_problem(value: Any, where: str = "arguments") -> str | None:
    """What is wrong with tool arguments that no tool can store or search (text that is not valid
    Unicode, an integer past 64 bits, NaN or infinity, oversized text or arrays), or None. The
    message never echoes the value, so the answer itself is always valid to send."""
    if isinstance(value, str):
        if value.isascii() and len(value) <= MAX_TEXT:  # the common case: nothing to encode
            return None
        if len(value) > MAX_TEXT:
            return f"{where} has {len(value):,} characters; send at most {MAX_TEXT:,}"
        try:
            value.encode()
        except UnicodeEncodeError as exc:  # only unpaired surrogates fail to encode
            return f"{where} holds an unpaired UTF-16 surrogate at character {exc.start}; send valid Unicode text"
    elif isinstance(value, bool):
        return None
    elif isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            return f"{where} is an integer outside the 64-bit range ({INT64[0]} to {INT64[1]})"
    elif isinstance(value, float):
        if not math.isfinite(value):
            return f"{where} is {value}; send a finite number"
    elif isinstance(value, list | tuple):
        if len(value) > MAX_ITEMS:
            return f"{where} has {len(value):,} entries; send at most {MAX_ITEMS:,}"
        return next((p for i, v in enumerate(value) if (p := argument_problem(v, f"{where}[{i}]"))), None)
    elif isinstance(value, dict):
        for key, item in value.items():
            if (
                type(key) is str
                and key.isascii()
                and len(key) <= MAX_TEXT
                and (
                    (type(item) is str and item.isascii() and len(item) <= MAX_TEXT)
                    or type(item) is bool
                    or item is None
                    or (type(item) is int and INT64[0] <= item <= INT64[1])
                )
            ):
                continue  # most arguments, checked inline: short ASCII text, flags, nulls, 64-bit integers
            name = key if isinstance(key, str) and argument_problem(key) is None else "?"
            problem = argument_problem(key, f"a key of {where}") or argument_problem(item, f"{where}.{name}")
            if problem:
                return problem
    return None


class SqlRefused(ValueError):
    """SQL from a scenario (its initial state, its checks) did something the server does not allow."""


STEP_TICKS = 1000  # SQLite VM instructions between two calls of the progress handler
STATEMENT_TICKS = 10_000  # one statement's budget (10M instructions); committed checks need under 200
TOTAL_TICKS = 50_000  # one run's budget (an initial state, or every check of a verify)
MAX_VALUE = 16 << 20  # bytes of one string or blob value
WRITES = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE}
READS = frozenset({sqlite3.SQLITE_READ, sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE})
SQLITE_OK = sqlite3.SQLITE_OK
READ_PRAGMAS = {
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
}
ACTIONS = {
    sqlite3.SQLITE_ATTACH: "ATTACH (and VACUUM)",
    sqlite3.SQLITE_DETACH: "DETACH",
    sqlite3.SQLITE_TRANSACTION: "transaction control",
    sqlite3.SQLITE_SAVEPOINT: "transaction control (SAVEPOINT)",
    sqlite3.SQLITE_PRAGMA: "PRAGMA (other than reading table_info and the like)",
    sqlite3.SQLITE_FUNCTION: "load_extension",
}


@contextmanager
def guarded(conn: sqlite3.Connection, writes: bool) -> Iterator[Callable[[str, Any], list[Any]]]:
    """Run scenario SQL on `conn`: reads (and, with `writes`, INSERT/UPDATE/DELETE) only, no ATTACH,
    DETACH, VACUUM, transaction control, PRAGMA writes, schema changes or load_extension, each
    statement and the whole run aborted after a bounded amount of work. Yields `run(sql, params)`."""
    allowed = READS | WRITES if writes else READS
    state = {"refused": "", "ticks": 0, "total": 0}

    def authorize(
        action: int, arg1: str | None, arg2: str | None, schema: str | None, source: str | None
    ) -> int:
        if action == sqlite3.SQLITE_FUNCTION:
            ok = arg2 != "load_extension"
        elif action == sqlite3.SQLITE_PRAGMA:
            ok = arg2 is None and arg1 in READ_PRAGMAS
        else:
            ok = action in allowed
        if ok:
            return sqlite3.SQLITE_OK
        state["refused"] = state["refused"] or ACTIONS.get(action, "a schema change" if writes else "a write")
        return sqlite3.SQLITE_DENY

    def progress() -> int:
        state["ticks"] += 1
        state["total"] += 1
        return state["ticks"] > STATEMENT_TICKS or state["total"] > TOTAL_TICKS

    def run(sql: str, params: Any) -> list[Any]:
        state["refused"], state["ticks"] = "", 0
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            if state["refused"]:
                raise SqlRefused(f"{state['refused']} is not allowed here ({exc})") from None
            if getattr(exc, "sqlite_errorname", "") == "SQLITE_TOOBIG":
                raise SqlRefused(f"a value over {MAX_VALUE:,} bytes was stopped ({exc})") from None
            if state["ticks"] > STATEMENT_TICKS or state["total"] > TOTAL_TICKS:
                raise SqlRefused(
                    f"the statement was stopped after {STEP_TICKS * min(state['ticks'], STATEMENT_TICKS):,} steps"
                    f" of work (limits: {STEP_TICKS * STATEMENT_TICKS:,} per statement,"
                    f" {STEP_TICKS * TOTAL_TICKS:,} in all)"
                ) from None
            raise

    length = conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE)
    conn.set_authorizer(authorize)
    conn.set_progress_handler(progress, STEP_TICKS)
    try:
        yield run
    finally:
        conn.set_authorizer(None)
        conn.set_progress_handler(None, 0)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, length)


def scenario_image(scenario: dict[str, Any], image: bytes | None = None) -> bytes:
    """The seed database with a scenario's initial state applied (guarded: see `guarded`) and its clock set."""
    conn = memory_copy(image or seed_image())
    try:
        conn.execute("BEGIN")
        with guarded(conn, writes=True) as run:
            for number, statement in enumerate(scenario["initial_state"]["statements"]):
                try:
                    run(statement["sql"], statement.get("params", []))
                except sqlite3.Error as exc:
                    raise sqlite3.Error(f"initial_state.statements[{number}]: {exc}") from None
                except SqlRefused as exc:
                    raise SqlRefused(f"initial_state.statements[{number}]: {exc}") from None
        conn.execute("UPDATE _env SET value = ? WHERE key = 'now'", (scenario["now"],))
        conn.execute("COMMIT")
        return conn.serialize()
    finally:
        conn.close()


def database_problem(path: Path) -> str | None:
    """Why `path` cannot be this server's --db (a directory, a dangling link, not SQLite, another
    domain's database, unreadable), or None. A path that does not exist yet is fine: it is created."""
    if path.is_symlink() and not path.exists():
        return f"{path} is a symbolic link to nothing; give the real path (no file is created through a link)"
    if not path.exists():
        return None if path.parent.is_dir() else f"the folder {path.parent} does not exist"
    if path.is_dir():
        return f"{path} is a folder; give a database file path"
    try:
        with path.open("rb") as file:
            header = file.read(16)
        if header != b"SQLite format 3\x00":
            return f"{path} is not a SQLite database; it is left as it is: give a new path to create one from the seed"
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            found = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except (OSError, sqlite3.Error) as exc:
        return f"cannot read {path}: {exc}"
    seed = memory_copy(seed_image())
    expected = {row[0] for row in seed.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    seed.close()
    if missing := sorted(expected - found):
        return (
            f"{path} is not a Tiny shop database (it lacks the tables {', '.join(missing)});"
            " give a new path to create one from the seed"
        )
    return None


def create_file(path: Path, image: bytes) -> None:
    """Write a new database file from `image`; refuses to touch an existing file."""
    if path.exists():
        raise FileExistsError(f"{path} already exists; remove it or choose another --db path")
    source = memory_copy(image)
    target = sqlite3.connect(path)
    source.backup(target)
    target.close()
    source.close()


class ToolGuard:
    """The authorizer and progress handler on every tool connection. Tool SQL, a custom body's
    included, reads rows (and, in a writing call, inserts, updates and deletes them) and nothing
    else: no ATTACH, DETACH, VACUUM, PRAGMA writes, schema changes, load_extension or transaction
    control, however the SQL was built. Only the runtime itself begins and ends transactions
    (while `owner` is set), and each statement is stopped after a bounded amount of work."""

    def __init__(self) -> None:
        self.owner = False
        self.writes = False
        self.refused = ""
        self.ticks = 0

    def authorize(
        self, action: int, arg1: str | None, arg2: str | None, schema: str | None, source: str | None
    ) -> int:
        if action in READS:  # most calls: SQLite asks once per column a statement reads, while preparing it
            return SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION:
            ok = arg2 != "load_extension"
        elif action == sqlite3.SQLITE_PRAGMA:
            ok = arg2 is None and (
                arg1 in READ_PRAGMAS or (self.owner and arg1 == "page_count")
            )  # `serialize` reads it
        elif action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            ok = self.owner
        else:
            ok = action in READS or (self.writes and action in WRITES)
        if ok:
            return SQLITE_OK
        self.refused = self.refused or ACTIONS.get(
            action, "a schema change" if self.writes else "a write in a read-only tool"
        )
        return sqlite3.SQLITE_DENY

    def progress(self) -> int:
        self.ticks += 1
        return self.ticks > STATEMENT_TICKS

    def start(self) -> None:
        """Called before each tool statement: a fresh budget, nothing refused yet."""
        self.refused, self.ticks = "", 0

    def failure(self, exc: sqlite3.Error) -> SqlRefused | None:
        """What a failed tool statement did that is not allowed, if that is why it failed."""
        if self.refused:
            return SqlRefused(f"tool SQL may only read and write rows: {self.refused} is not allowed ({exc})")
        if self.ticks > STATEMENT_TICKS:
            return SqlRefused(
                f"a tool statement was stopped after {STEP_TICKS * STATEMENT_TICKS:,} steps of work"
            )
        return None


@contextmanager
def owning(guard: ToolGuard) -> Iterator[None]:
    """While the runtime itself runs SQL that the guard refuses to tool SQL (transaction control)."""
    guard.owner = True
    try:
        yield
    finally:
        guard.owner = False


class InlineConnection:
    """An in-memory database used on the event loop, held inside one transaction for its life.

    Its statements take microseconds, so it needs no thread: aiosqlite gives every connection
    one, and a thread per episode stops scaling long before a thousand episodes. Rows come back
    as dicts built from the cursor's column names once per statement.

    Nothing is ever committed: each tool call is a savepoint inside the connection's one
    transaction, so `reset` (a rollback) returns the database to the image it was opened on and
    keeps the connection, its parsed schema and its prepared statements; a new connection parses
    the schema and prepares each statement again, which costs more than most tool calls. The
    runtime's own transaction statements go through the statement cache, where tool SQL with the
    same text would find them authorized, so they carry a name made for this connection.
    """

    def __init__(self, image: bytes, guard: ToolGuard):
        self.conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        # a plain in-memory database, filled by backup: `serialize` sees what the transaction wrote
        if image is seed_image():
            seed_source().backup(self.conn)
        else:
            source = memory_copy(image)
            source.backup(self.conn)
            source.close()
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.set_authorizer(guard.authorize)
        self.conn.set_progress_handler(guard.progress, STEP_TICKS)
        self.mark = f"call_{secrets.token_hex(8)}"
        self.guard = guard
        self._own(f"BEGIN /* {self.mark} */")

    def _own(self, *statements: str) -> None:
        """Run the runtime's own transaction control, which the guard refuses to tool SQL."""
        with owning(self.guard):
            for sql in statements:
                self.conn.execute(sql)

    @property
    def lost(self) -> bool:
        """Whether SQLite ended the connection's transaction, and with it everything the calls wrote:
        it does so when it stops a write statement (see ToolGuard.progress)."""
        return not self.conn.in_transaction

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    async def execute_fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        rows = cursor.fetchall()
        if not rows:
            return []
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=False)) for row in rows]  # a row has a value per name: no check

    async def begin(self) -> None:
        self._own(f"SAVEPOINT {self.mark}")

    async def commit(self) -> None:
        if not self.lost:
            self._own(f"RELEASE {self.mark}")

    async def rollback(self) -> None:
        if not self.lost:
            self._own(f"ROLLBACK TO {self.mark}", f"RELEASE {self.mark}")

    async def end_read(self) -> None:
        """After a read-only call: the guard refused it any write, so there is nothing to undo."""

    async def reset(self) -> None:
        """Back to the image the connection was opened on, keeping its schema and statements."""
        self._own(f"ROLLBACK /* {self.mark} */", f"BEGIN /* {self.mark} */")

    async def serialize(self) -> bytes:
        with owning(self.guard):
            return self.conn.serialize()

    async def close(self) -> None:
        self.conn.close()


class FileConnection(aiosqlite.Connection):
    """A database file through aiosqlite (a thread of its own): each tool call is a transaction,
    begun and ended by the runtime while the guard lets it (see owning)."""

    lost = False
    guard: ToolGuard

    async def begin(self) -> None:
        with owning(self.guard):
            await self.executescript("BEGIN IMMEDIATE")  # a script: never in the statement cache

    async def commit(self) -> None:
        with owning(self.guard):
            await super().commit()

    async def rollback(self) -> None:
        with owning(self.guard):
            await super().rollback()

    async def end_read(self) -> None:
        if self.in_transaction:  # nothing a read-only call started may outlive it
            await self.rollback()

    async def serialize(self) -> bytes:
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        await self.backup(copy)
        try:
            return copy.serialize()
        finally:
            copy.close()


async def open_connection(
    path: Path | None, image: bytes | None = None
) -> tuple[InlineConnection | FileConnection, ToolGuard]:
    """A fresh in-memory copy of `image` (default: the seed) used on the event loop, or an
    aiosqlite connection (a thread of its own) to the file `path`; and the guard on it."""
    guard = ToolGuard()
    if path is None:
        return InlineConnection(image or seed_image(), guard), guard

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.row_factory = dict_row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.set_authorizer(guard.authorize)
        conn.set_progress_handler(guard.progress, STEP_TICKS)
        return conn

    conn = await FileConnection(connect, iter_chunk_size=64)
    conn.guard = guard
    return conn, guard


class Tx:
    """The database as one tool call sees it: queries inside that call's transaction."""

    def __init__(self, conn: InlineConnection | aiosqlite.Connection, guard: ToolGuard, now: str):
        self._conn = conn
        self._guard = guard
        self.now = now
        self.today = now[:10]

    def now_plus(self, weeks: int = 0, days: int = 0, hours: int = 0, minutes: int = 0) -> str:
        """The domain clock moved by an offset, as ISO datetime text (`$now - 60 days` in a rule)."""
        moved = datetime.fromisoformat(self.now) + timedelta(
            weeks=weeks, days=days, hours=hours, minutes=minutes
        )
        return moved.isoformat(timespec="seconds")

    def today_plus(self, weeks: int = 0, days: int = 0) -> str:
        """The domain's date moved by whole days, as `YYYY-MM-DD` (`$today + 1 day` in a rule)."""
        return (date.fromisoformat(self.today) + timedelta(weeks=weeks, days=days)).isoformat()

    async def _run(self, method: Callable[..., Any], sql: str, params: Any) -> Any:
        self._guard.start()
        try:
            return await method(sql, params)
        except sqlite3.Error as exc:
            refused = self._guard.failure(exc)
            if refused is None:
                raise
            raise refused from None

    async def fetch_all(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return list(await self._run(self._conn.execute_fetchall, sql, params))

    async def fetch_one(self, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any] | None:
        rows = await self._run(self._conn.execute_fetchall, sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        cursor = await self._run(self._conn.execute, sql, params)
        return cursor.rowcount

    async def insert(self, table: str, values: dict[str, Any]) -> None:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        await self.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(values.values()))

    async def update(
        self, table: str, key_column: str | tuple[str, ...], key: Any, values: dict[str, Any]
    ) -> None:
        """Set `values` on the row whose `key_column` is `key` (a composite key: tuples of both)."""
        columns, parts = (key_column, key) if isinstance(key_column, tuple) else ((key_column,), (key,))
        assignments = ", ".join(f"{column} = ?" for column in values)
        where = " AND ".join(f"{column} = ?" for column in columns)
        await self.execute(f"UPDATE {table} SET {assignments} WHERE {where}", (*values.values(), *parts))

    async def new_id(self, table: str) -> str:
        """The next id of `table`: the next number of a sequence stored with the data (so ids replay) in
        the table's id format, passing over a number whose id the format skips or a row already holds."""
        id_format, prefix, key = ID_FORMATS[table]
        while True:
            rows = await self.fetch_all(
                "UPDATE _id_sequence SET last = last + 1 WHERE tbl = ? RETURNING last", (table,)
            )
            ident = make_id(id_format, prefix, table, rows[0]["last"], self.today)
            if (
                ident is not None
                and await self.fetch_one(f"SELECT 1 FROM {table} WHERE {key} = ?", (ident,)) is None
            ):
                return ident


async def clock(conn: InlineConnection | FileConnection) -> str:
    """The domain clock a database holds (`_env` key 'now')."""
    rows = await conn.execute_fetchall("SELECT value FROM _env WHERE key = 'now'")
    return rows[0]["value"]


class Store:
    """One session's database: calls are serialized, each is a transaction (in memory, a savepoint)."""

    def __init__(self, conn: InlineConnection | FileConnection, guard: ToolGuard, now: str):
        self.conn = conn
        self.guard = guard
        self.now = now
        self.opened_now = now  # the clock of the image the database was opened on, which `release` returns to
        self.lock = asyncio.Lock()
        self.closed = False

    @classmethod
    async def open(cls, path: Path | None = None, image: bytes | None = None) -> Store:
        """A file database at `path`, or a private in-memory copy of `image` (default: the seed)."""
        conn, guard = await open_connection(path, image)
        if path is None and (image is None or image is seed_image()):
            return cls(conn, guard, seed_now())
        return cls(conn, guard, await clock(conn))

    @property
    def lost(self) -> bool:
        """Whether the database lost what the calls wrote (see InlineConnection.lost): every later call fails."""
        return self.conn.lost

    async def close(self) -> None:
        async with self.lock:
            self.closed = True
            await self.conn.close()

    async def setup(self, statements: list[dict[str, Any]], now: str) -> None:
        """Apply a scenario's initial state and clock to this in-memory database, in its one transaction,
        so `release` returns it to the image it was opened on. The statements already made the
        scenario's image (see `scenario_image`, whose guard they passed); here they run under the
        tool guard with writes allowed, which refuses the same things, and with foreign keys on,
        which `scenario_image` does not check (an IntegrityError: nothing is left applied). No
        pragma is changed on the way: changing one makes SQLite prepare every statement again."""
        async with self.lock:
            self.guard.writes = True
            try:
                tx = Tx(self.conn, self.guard, now)
                for statement in statements:
                    await tx.execute(statement["sql"], statement.get("params", []))
                await tx.execute("UPDATE _env SET value = ? WHERE key = 'now'", (now,))
            except BaseException:
                if not self.conn.lost:
                    await self.conn.reset()
                raise
            finally:
                self.guard.writes = False
            self.now = now

    async def release(self) -> Store | None:
        """Close this store and hand its in-memory database, back on the image it was opened on (its
        `setup` undone), to a new store that keeps the connection's parsed schema and prepared
        statements (a recycled episode); None when it can't be reused (a file, or a lost database). A call still waiting on
        this store then fails: it never reaches the new one."""
        async with self.lock:
            self.closed = True
            if not isinstance(self.conn, InlineConnection) or self.conn.lost:
                await self.conn.close()
                return None
            await self.conn.reset()
            return Store(self.conn, self.guard, self.opened_now)

    async def load(self, image: bytes) -> None:
        """Replace this store's database with a private in-memory copy of `image` (a reset)."""
        async with self.lock:
            await self.conn.close()
            self.conn, self.guard = await open_connection(None, image)
            self.now = self.opened_now = await clock(self.conn)

    async def snapshot(self) -> sqlite3.Connection:
        """A private in-memory copy of the current database, for inspection."""
        async with self.lock:
            return memory_copy(await self.conn.serialize())

    def _usable(self) -> None:
        if self.closed:
            raise ToolError("This database is closed (its episode ended); start a new episode.")
        if self.conn.lost:
            raise ToolError(
                "This database lost every change made since it was opened: a write statement was stopped"
                " after too much work. Start a new episode (or restart the server)."
            )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        async with self.lock:
            self._usable()
            self.guard.writes = False
            try:
                yield Tx(self.conn, self.guard, self.now)
            finally:
                await self.conn.end_read()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self.lock:
            self._usable()
            await self.conn.begin()
            self.guard.writes = True
            try:
                yield Tx(self.conn, self.guard, self.now)
            except sqlite3.IntegrityError as exc:
                await self.conn.rollback()
                raise ToolError(f"Nothing was changed: the request breaks a data rule ({exc}).") from exc
            except BaseException:
                await self.conn.rollback()
                self._usable()
                raise
            finally:
                self.guard.writes = False
            await self.conn.commit()
            self._usable()


class Session:
    """What the server's lifespan holds: the default database and the episode registry."""

    def __init__(self, default: Store, episodes: Any):
        self.default = default
        self.episodes = episodes


def request_of(ctx: Context) -> Any:
    """`ctx.request_context`, read from the context's private attributes when they hold it: the
    property goes through pydantic's private-attribute lookup, which costs more than some tool calls."""
    private = getattr(ctx, "__pydantic_private__", None) or {}
    return private.get("_request_context") or ctx.request_context


def store(ctx: Context) -> Store:
    """The database this tool call acts on: its episode's (header or request meta), else the default."""
    request = request_of(ctx)
    session: Session = request.lifespan_context
    headers = getattr(request.request, "headers", None) or {}  # what ctx.headers reads
    episode_id = headers.get("x-episode-id") or (request.meta or {}).get("episode_id")
    if not episode_id:
        return session.default
    try:
        return session.episodes.get(episode_id).store
    except LookupError as exc:  # an unknown or closed episode is the caller's mistake, not a crash
        raise ToolError(str(exc)) from None
