"""The review database: SQLAlchemy Core tables, one engine per URL (SQLite file by default, any SQLAlchemy URL).

Tables
    users        username, argon2 password hash, role (curator | admin)
    assignments  (username, paper_id): the papers a curator may see. Visibility rule: an admin sees every paper; a
                 curator with assignments sees only those papers; a curator without any assignment sees every paper
    sessions     server-side sessions: sha256 of the cookie token, csrf token, expiry
    items        one row per record: queue priority (None = not queued), filter columns, the current review status
                 and a version counter (optimistic concurrency: a write names the version it saw)
    item_flags   (flag, record id) pairs for the flag filter
    item_docs    the record JSON as imported and its evidence context (kept apart: queue scans read narrow rows)
    decisions    append-only: every accepted decision (the latest per record wins)
    audit        append-only log: who, when, what, the record before and after (refused stale writes included)
    login_failures  failed logins (rate limiting by user and by address)

On SQLite, audit and decisions are made append-only by triggers; writes take the write lock up front
(BEGIN IMMEDIATE) so concurrent curators queue instead of failing.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("pw_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

assignments = Table(
    "assignments",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("paper_id", String(128), primary_key=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

papers = Table(
    "papers",
    metadata,
    Column("paper_id", String(128), primary_key=True),
    Column("title", Text),
    Column("n_pages", Integer),
    Column("page_sizes", Text),  # JSON [[w, h], ...] in PDF points
)

items = Table(
    "items",
    metadata,
    Column("record_id", String(64), primary_key=True),
    Column("paper_id", String(128), nullable=False),
    Column("priority", Float),  # None = not queued (kept to show other sources of the same fact)
    Column("score", Float),
    Column("property_id", String(128)),
    Column("material", String(255)),
    Column("fact_key", String(400)),  # normalized material | property: other sources of the same fact
    Column("flags", Text, nullable=False, default="[]"),  # JSON list (flags may contain spaces); filter: item_flags
    Column("reasons", Text, nullable=False, default=""),  # why it was queued (JSON list)
    Column("status", String(16), nullable=False, default="open"),  # open | accept | edit | reject
    Column("version", Integer, nullable=False, default=0),
    Column("updated_by", String(64)),
    Column("updated_at", DateTime(timezone=True)),
    Index("ix_items_queue", "status", "priority", "record_id"),
    Index("ix_items_paper", "paper_id", "priority"),
    Index("ix_items_property", "property_id", "status", "priority", "record_id"),
    Index("ix_items_fact", "fact_key"),
    Index("ix_items_score", "status", "score", "priority"),
)

# the bulky part of an item, apart so that queue scans and counts read narrow rows
item_docs = Table(
    "item_docs",
    metadata,
    Column("record_id", String(64), primary_key=True),
    Column("record_json", Text, nullable=False),  # the record as imported
    Column("context_json", Text),  # the sentence/block or table around the evidence
)

# one row per (flag, record): the flag filter and its count use the index instead of scanning every item
item_flags = Table(
    "item_flags",
    metadata,
    Column("flag", String(200), primary_key=True),
    Column("record_id", String(64), primary_key=True),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(64), nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("reason", String(64)),
    Column("patch_json", Text, nullable=False, default="{}"),
    Column("curator", String(64), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),  # the item version this decision created
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("username", String(64), nullable=False),
    Column("action", String(32), nullable=False),  # accept | edit | reject | conflict | login | adduser | import
    Column("record_id", String(64), index=True),
    Column("before_json", Text),
    Column("after_json", Text),
    Column("detail", Text),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, index=True),
    Column("address", String(64), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

_APPEND_ONLY = ("audit", "decisions")
_engines: dict[str, Engine] = {}
_created: set[str] = set()
_lock = threading.Lock()


def default_db_url(work_dir: Path) -> str:
    return f"sqlite:///{Path(work_dir).resolve() / 'review' / 'review.sqlite'}"


def db_url_for(cfg) -> str:
    return cfg.review.db_url or default_db_url(cfg.work_dir)


def sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///") and ":memory:" not in url:
        return Path(url[len("sqlite:///") :])
    return None


def get_engine(url: str, create: bool = True) -> Engine:
    """One engine per URL (thread-safe pool). SQLite: WAL, a 30 s busy timeout, and `immediate=True` execution
    option -> BEGIN IMMEDIATE (used for every write transaction)."""
    with _lock:
        eng = _engines.get(url)
        if eng is not None:
            if create and url not in _created:
                _create_tables(eng)
                _created.add(url)
            return eng
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            eng = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=20,
                                max_overflow=20)

            @event.listens_for(eng, "connect")
            def _on_connect(dbapi_conn, _rec):
                dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (pysqlite's own handling is broken)
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

            @event.listens_for(eng, "begin")
            def _on_begin(conn):
                conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")
        else:
            eng = create_engine(url, pool_pre_ping=True)
        if create:
            _create_tables(eng)
            _created.add(url)
        _engines[url] = eng
        return eng


def _create_tables(eng: Engine) -> None:
    metadata.create_all(eng)
    if eng.dialect.name == "sqlite":
        with eng.begin() as c:
            for t in _APPEND_ONLY:
                for op in ("UPDATE", "DELETE"):
                    c.exec_driver_sql(
                        f"CREATE TRIGGER IF NOT EXISTS {t}_no_{op.lower()} BEFORE {op} ON {t} "
                        f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END"
                    )


def dispose_engine(url: str) -> None:
    with _lock:
        eng = _engines.pop(url, None)
        _created.discard(url)
    if eng is not None:
        eng.dispose()


def write_conn(engine: Engine):
    """A connection whose transaction takes the write lock at BEGIN (SQLite); plain elsewhere."""
    conn = engine.connect()
    if engine.dialect.name == "sqlite":
        conn = conn.execution_options(immediate=True)
    return conn
