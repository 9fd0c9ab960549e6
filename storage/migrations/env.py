"""Alembic environment: runs migrations on the connection mapbot passes in."""

from alembic import context
from sqlalchemy import engine_from_config, pool

import storage.outbox_models  # noqa: F401  (registers the outbox tables on Base)
from storage import reminder_models  # noqa: F401  (registers the nudge log table on Base)
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return

    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as fresh:
        context.configure(connection=fresh, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
