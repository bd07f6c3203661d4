"""The `gridwatch` command: serve, migrate, worker, demo, import, createadmin, vapid, cap,
callups, patrols, tipoffs, tally."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from server.settings import Settings, get_settings

T = TypeVar("T")


async def _with_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    from server.db import Database, activate

    database = Database(settings.database_url, pool=False)
    activate(database)
    await database.start()
    try:
        return await work()
    finally:
        await database.stop()


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> None:
    from server.db import Database
    from server.hazards import tally

    database = Database(settings.database_url, pool=False)
    asyncio.run(database.migrate())
    print(f"migrations applied to {_safe_url(settings.database_url)}")
    if asyncio.run(_with_database(settings, tally.ensure)):
        print("the figures' rollup was counted from the hazards")


def cmd_tally(settings: Settings, _args: argparse.Namespace) -> None:
    """Count the figures' rollup again from the hazards (after rows were loaded in bulk)."""
    from server.hazards import tally

    count = asyncio.run(_with_database(settings, tally.rebuild))
    print(f"{count} hazards counted")


def cmd_demo(settings: Settings, _args: argparse.Namespace) -> None:
    from server.demo import load_demo

    async def work() -> None:
        for line in await load_demo(settings):
            print(line)

    asyncio.run(_with_database(settings, work))


#: what _import_kinds() offers, named here so that `gridwatch --help` loads no table
IMPORT_KINDS = ("areas", "places", "people", "shelters", "zones", "households")


def _import_kinds() -> dict:
    from server.console.importer import KINDS
    from server.directory.scope import Scope
    from server.evacuation.plan_import import import_kinds

    return {**KINDS, **import_kinds(Scope.of(None, [], [], everything=True))}


def cmd_import(settings: Settings, args: argparse.Namespace) -> None:
    """Import areas, places, people or evacuation plans (shelters, zones, households) from a
    CSV file; any bad row and nothing is imported."""
    data = Path(args.file).read_bytes()

    async def work() -> None:
        from server.console.importer import run_import

        report = await run_import(args.kind, data, dry_run=args.dry_run, kinds=_import_kinds())
        for line, message in report.errors:
            print(f"{args.file}:{line}: {message}", file=sys.stderr)
        print(report.summary(dry_run=args.dry_run))
        if report.errors:
            raise SystemExit(1)

    asyncio.run(_with_database(settings, work))


def cmd_createadmin(settings: Settings, args: argparse.Namespace) -> None:
    """Create an administrator for the city (or give an existing person the admin post)."""
    from server.console.bootstrap import create_admin

    password = args.password_stdin and sys.stdin.readline().rstrip("\n")
    if not password:
        password = getpass.getpass("Password: ")

    async def work() -> None:
        print(await create_admin(args.mobile, args.name, password))

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
        proxy_headers=False,  # X-Forwarded-For is judged by the app (TRUSTED_PROXIES)
        log_level=settings.log_level.lower(),
    )


def cmd_worker(settings: Settings, _args: argparse.Namespace) -> None:
    from server.worker import run_fast, run_standalone

    run_fast(run_standalone(settings))


def cmd_vapid(settings: Settings, _args: argparse.Namespace) -> None:
    """Make the VAPID key pair if there is none, and print its public key."""
    from server.notify.vapid import ensure_keys, public_key

    path = settings.vapid_private_key_path
    existed = path.exists()
    key = public_key(ensure_keys(path))
    print(f"{'kept' if existed else 'made'} {path}\npublic key: {key}")


def cmd_cap(settings: Settings, args: argparse.Namespace) -> None:
    """Import a CAP alert: exit 0 with the warning and its targets, exit 2 with the reason."""
    from server.callups.cap import CapRefused
    from server.callups.warnings import import_cap

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"refused: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        raise SystemExit(2) from None

    async def work() -> None:
        try:
            done = await import_cap(data)
        except CapRefused as exc:
            print(f"refused: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        w = done.warning
        drill = " [exercise]" if w.drill else ""
        print(f"{done.action}: {w.identifier} ({w.msg_type}){drill}")
        print(f"  {w.level.value} {w.hazard_type.value}: {w.headline}")
        languages = ", ".join(t["language"] for t in w.texts) or "-"
        print(f"  languages: {languages}; state: {w.state.value}")
        if done.unknown_references:
            print(f"  refers to alerts not on record: {', '.join(done.unknown_references)}")
        if w.area_paths:
            print(f"  areas matched: {len(w.area_paths)}; call-up targets: {done.targets}")
        else:
            print("  no area of ours matches: 0 call-up targets")

    asyncio.run(_with_database(settings, work))


def _run_at(
    settings: Settings, args: argparse.Namespace, job: Callable[..., Awaitable[int]], says: str
) -> None:
    """A worker job run once, now or as if it were --at TIME (drills, tests): the clock is
    the caller's."""
    from datetime import UTC, datetime

    try:
        at = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    except ValueError:
        raise SystemExit(f"--at is not a time: {args.at!r}") from None
    if at.tzinfo is None:
        raise SystemExit("--at needs a time zone, e.g. 2026-07-21T14:05:00+08:00")

    async def work() -> None:
        print(says.format(await job(at)))

    asyncio.run(_with_database(settings, work))


def cmd_callups(settings: Settings, args: argparse.Namespace) -> None:
    """`escalate [--at TIME]`: one escalation pass."""
    from server.callups.escalation import escalate

    _run_at(settings, args, escalate, "escalated {} targets")


def cmd_evacuation(settings: Settings, args: argparse.Namespace) -> None:
    """`escalate [--at TIME]`: one pass over unmarked special-needs households."""
    from server.evacuation.escalation import escalate

    _run_at(settings, args, escalate, "escalated {} households")


def cmd_patrols(settings: Settings, args: argparse.Namespace) -> None:
    """`missed [--at TIME]`: flag the checkpoints missed in each plan's last window."""
    from server.patrols.windows import flag_missed

    _run_at(settings, args, flag_missed, "flagged {} missed checkpoints")


def cmd_tipoffs(settings: Settings, args: argparse.Namespace) -> None:
    """`block|unblock ip|mobile|word VALUE`: the block list of public tip-offs;
    `rule LEVEL --kind fixed|share --min --max --share`: a reward rule."""
    from server.tipoffs import limits, rewards

    async def work() -> None:
        if args.action == "block":
            await limits.block(args.kind, args.value, args.reason or "", settings.secret_key)
            print(f"blocked {args.kind} {args.value}")
        elif args.action == "unblock":
            found = await limits.unblock(args.kind, args.value, settings.secret_key)
            print(f"unblocked {found} {args.kind} {args.value}")
        else:
            rule = rewards.Rule(args.kind, args.value, args.min, args.max, args.share)
            await rewards.set_rule(rule)
            print(f"reward rule for {rule.level}: {rule}")

    try:
        asyncio.run(_with_database(settings, work))
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


def _safe_url(url: str) -> str:
    """The URL without a password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url


COMMANDS = {
    "serve": (cmd_serve, "serve web pages and the embedded worker"),
    "migrate": (cmd_migrate, "apply database migrations"),
    "worker": (cmd_worker, "run the background worker on its own"),
    "demo": (cmd_demo, "load the demo data (idempotent)"),
    "import": (cmd_import, "import areas, places or people from a CSV file"),
    "createadmin": (cmd_createadmin, "create an administrator"),
    "cap": (cmd_cap, "cap import FILE: import a CAP 1.1/1.2 alert as a warning"),
    "callups": (cmd_callups, "callups escalate [--at TIME]: one escalation pass"),
    "evacuation": (cmd_evacuation, "evacuation escalate [--at TIME]: one escalation pass"),
    "patrols": (cmd_patrols, "patrols missed [--at TIME]: flag missed checkpoints"),
    "tipoffs": (
        cmd_tipoffs,
        "tipoffs block|unblock ip|mobile|word VALUE, or tipoffs rule LEVEL --kind ...",
    ),
    "tally": (cmd_tally, "count the figures' rollup again (after hazards were loaded in bulk)"),
    "vapid": (cmd_vapid, "make the web push (VAPID) key pair if missing; print its public key"),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="gridwatch", description="Gridwatch 网格安全通")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_fn, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text)
        if name == "serve":
            cmd.add_argument("--host", default=None)
            cmd.add_argument("--port", type=int, default=None)
        elif name == "import":
            cmd.add_argument("kind", choices=IMPORT_KINDS)
            cmd.add_argument("file")
            cmd.add_argument(
                "--dry-run", action="store_true", help="check every row, change nothing"
            )
        elif name == "cap":
            cmd.add_argument("action", choices=["import"])
            cmd.add_argument("file")
        elif name in ("callups", "evacuation", "patrols"):
            cmd.add_argument("action", choices=["missed" if name == "patrols" else "escalate"])
            cmd.add_argument("--at", default=None, help="ISO time with zone")
        elif name == "tipoffs":
            cmd.add_argument("action", choices=["block", "unblock", "rule"])
            cmd.add_argument("kind", help="ip, mobile or word; for rule: general or major")
            cmd.add_argument("value", nargs="?", default="fixed", help="for rule: fixed or share")
            cmd.add_argument("--reason", default="")
            cmd.add_argument("--min", type=int, default=0, help="rule: least yuan")
            cmd.add_argument("--max", type=int, default=500, help="rule: most yuan")
            cmd.add_argument("--share", type=int, default=0, help="rule: percent of the fine")
        elif name == "createadmin":
            cmd.add_argument("--mobile", required=True)
            cmd.add_argument("--name", required=True)
            cmd.add_argument("--password-stdin", action="store_true")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.command != "serve":  # the app configures its own logging
        logging.basicConfig(level=settings.log_level, stream=sys.stderr)
    COMMANDS[args.command][0](settings, args)


if __name__ == "__main__":
    main()
