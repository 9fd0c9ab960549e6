"""Engine and session set-up, and schema migrations."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    if not _is_memory_database(dbapi_connection):
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL keeps the database consistent after a crash and
        # skips an fsync per commit, but a power loss can drop the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _is_memory_database(dbapi_connection: Any) -> bool:
    cursor = dbapi_connection.cursor()
    rows = cursor.execute("PRAGMA database_list").fetchall()
    cursor.close()
    return all(not row[2] for row in rows)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit, because renderers use them after the transaction.
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Apply every pending migration to the database behind `engine`."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    logger.info("Database schema is up to date (%s)", engine.url.render_as_string())
