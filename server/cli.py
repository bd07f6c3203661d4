"""The `gridwatch` command: serve, migrate, worker, demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable

from server.settings import Settings, get_settings


async def _with_database(settings: Settings, work: Callable[[], Awaitable[None]]) -> None:
    from server.db import Database, activate

    database = Database(settings.database_url, pool=False)
    activate(database)
    await database.start()
    try:
        await work()
    finally:
        await database.stop()


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> None:
    from server.db import Database

    database = Database(settings.database_url, pool=False)
    asyncio.run(database.migrate())
    print(f"migrations applied to {_safe_url(settings.database_url)}")


def cmd_demo(settings: Settings, _args: argparse.Namespace) -> None:
    from server.demo import load_demo

    async def work() -> None:
        for line in await load_demo(settings):
            print(line)

    asyncio.run(_with_database(settings, work))


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    host, port = args.host or settings.host, args.port or settings.port
    print(f"Gridwatch 网格安全通: http://{host}:{port}/", flush=True)
    uvicorn.run(
        "server.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        proxy_headers=True,
        log_level=settings.log_level.lower(),
    )


def cmd_worker(settings: Settings, _args: argparse.Namespace) -> None:
    from server.worker import run_standalone

    asyncio.run(run_standalone(settings))


def _safe_url(url: str) -> str:
    """The URL without a password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url


COMMANDS = {
    "serve": (cmd_serve, "serve web pages and the embedded worker"),
    "migrate": (cmd_migrate, "apply database migrations"),
    "worker": (cmd_worker, "run the background worker on its own"),
    "demo": (cmd_demo, "load the demo data (idempotent)"),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="gridwatch", description="Gridwatch 网格安全通")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_fn, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text)
        if name == "serve":
            cmd.add_argument("--host", default=None)
            cmd.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.command != "serve":  # the app configures its own logging
        logging.basicConfig(level=settings.log_level, stream=sys.stderr)
    COMMANDS[args.command][0](settings, args)


if __name__ == "__main__":
    main()
