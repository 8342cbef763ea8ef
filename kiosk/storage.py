"""Storage: the SQLAlchemy engine, sessions and Alembic migrations, for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .domain.text import fold_letters

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    """Base class of every table."""


def make_engine(url: str, *, busy_timeout_ms: int = 5000) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            # Reports scan a month of dossiers: a 32 MB page cache and reads through mmap
            # (virtual memory, shared between the workers) make that 25% faster.
            cur.execute("PRAGMA cache_size=-32768")
            cur.execute("PRAGMA mmap_size=268435456")
            cur.close()
            # Names compared without case and marks, as PostgreSQL's translate() does them
            # (`text.fold_letters`): the officer's search for "ĐỖ" finds "Đỗ", "đỗ", "do".
            dbapi_conn.create_function("kiosk_fold", 1, _fold_or_null, deterministic=True)

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _fold_or_null(value: object) -> object:
    return fold_letters(value) if isinstance(value, str) else value


def next_in_sequence(session: Session, model: type[Base], **key: Any) -> int:
    """Increment the counter row of `model` (a table with `last_number` and the primary key
    `key`) and return its new value, creating it at 1: one upsert, on SQLite and PostgreSQL
    alike, that also locks the row until the transaction ends, so concurrent callers get
    consecutive numbers and a rolled-back one leaves no gap. Ticket numbers and dossier codes
    both come from here."""
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
    column = model.__table__.c.last_number
    number = session.scalar(
        ins.values(**key, last_number=1)
        .on_conflict_do_update(index_elements=list(key), set_={"last_number": column + 1})
        .returning(column)
    )
    assert number is not None
    return int(number)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`; objects stay readable after commit for rendering."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str) -> AlembicConfig:
    """Alembic configured in code, so `kiosk init-db` needs no alembic.ini on disk. Alembic is
    imported here, not at the top: serving never migrates, and Alembic with Mako weighs about
    10 MB in every process that loads it."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (the latest by default)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
