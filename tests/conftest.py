"""Fixtures shared by every test: a migrated database and a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, make_session_factory, upgrade
from tests.postgres import NOT_CONFIGURED, PostgresSchemas, configured_url

# A Friday, so tests can check weekday rules against a known date.
FIXED_NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


class FakeClock:
    """A clock tests move by hand; nothing in the tests sleeps."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.current = now

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.current += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# Tests under these folders of tests/ run once on SQLite and once on PostgreSQL.
BOTH_DATABASES = ("storage", "reminders")
TESTS_ROOT = Path(__file__).parent


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_backend" not in metafunc.fixturenames:
        return
    folder = metafunc.definition.path.relative_to(TESTS_ROOT).parts[0]
    if folder in BOTH_DATABASES:
        backends = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
        metafunc.parametrize("database_backend", backends, indirect=True)


@pytest.fixture
def database_backend(request: pytest.FixtureRequest) -> str:
    """The database a test runs on: "sqlite" unless parametrised."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[PostgresSchemas]:
    url = configured_url()
    if url is None:
        pytest.skip(NOT_CONFIGURED)
    schemas = PostgresSchemas(url)
    yield schemas
    schemas.close()


@pytest.fixture
def postgres_url(postgres_schemas: PostgresSchemas) -> Iterator[str]:
    """A URL of a fresh, migrated PostgreSQL schema, dropped after the test."""
    url = postgres_schemas.create()
    yield url
    postgres_schemas.drop(url)


@pytest.fixture
def database_url(database_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if database_backend == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'mapbot-test.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)
