"""Shared fixtures: the database under test (SQLite or PostgreSQL), settings, the app client.

`pytest` runs on a fresh SQLite file; `pytest --db=postgres -m db` runs the database tests on
TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test). With CI=true an
unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.auth.passwords import hash_password
from server.db import Database, activate
from server.demo import load_demo_data
from server.directory.demo import CITY, DEMO_PASSWORD
from server.directory.kinds import LEVELS
from server.directory.service import area_by_code
from server.directory.tables import Area, Department, Person, Place, Post
from server.evacuation.tables import DangerZone, Household, Resident, Shelter
from server.hazards.service import seed_categories
from server.hazards.tables import HazardCategory
from server.piccolo_app import TABLES
from server.settings import DEFAULT_PUSH_HOSTS, Settings
from server.tipoffs.rewards import seed_rules

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
#: kept between tests that use `demo` (reference data: areas, people, hazard categories)
#: what the demo fixture keeps between tests (the directory and the evacuation plans)
DIRECTORY = (
    Area,
    Place,
    Person,
    Department,
    Post,
    HazardCategory,
    DangerZone,
    Household,
    Resident,
    Shelter,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run tests marked slow")
    parser.addoption(
        "--db",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="database engine for tests marked db",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def engine_name(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--db")


async def _reset_postgres(url: str) -> None:
    try:
        conn = await asyncpg.connect(url, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL unreachable at {url}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def database_url(engine_name: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database for the whole session."""
    if engine_name == "postgres":
        url = os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG
        await _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    database = Database(url, pool=False)
    await database.migrate()
    return url


@pytest.fixture
async def active_database(database_url: str) -> AsyncIterator[Database]:
    """The session's database, activated for this test, as the previous test left it."""
    database = Database(database_url, pool=False)
    activate(database)
    await database.start()
    yield database
    await database.stop()


async def _empty(database: Database) -> None:
    async with database.write():
        for table in reversed(TABLES):  # referencing tables first
            if table is Area:  # areas reference their parent: leaves first
                for level in reversed(LEVELS):
                    await Area.delete().where(Area.level == level.value)
            else:
                await table.delete(force=True)


@pytest.fixture
async def database(active_database: Database) -> Database:
    """The session's database, emptied before the test."""
    await _empty(active_database)
    return active_database


@pytest.fixture
async def demo(active_database: Database, settings: Settings) -> Database:
    """The session's database holding the demo city. Tests using it must not change the
    directory (sessions and login attempts are fine): it is loaded again only when a test
    using `database` emptied it."""
    if await area_by_code(CITY[0]) is None:
        await _empty(active_database)
        await load_demo_data(await hash_password(DEMO_PASSWORD))
        await seed_categories()
    async with active_database.write():  # only the directory stays: no sessions, no sync
        for table in reversed(TABLES):
            if table not in DIRECTORY:
                await table.delete(force=True)
        await seed_rules()  # the reward rules as a deployment starts, whatever a test changed
    return active_database


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        database_pool=False,
        secret_key="test-secret-key-not-for-production",
        media_dir=tmp_path / "media",
        vapid_private_key_path=tmp_path / "vapid.pem",
        embedded_worker=False,
        push_hosts=(*DEFAULT_PUSH_HOSTS, "http://127.0.0.1"),
    )


@pytest.fixture
def app(settings: Settings, active_database: Database) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app) as client:
        yield client
