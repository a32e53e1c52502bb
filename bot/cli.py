"""`outputs-bot`: serve, shell, migrate, digest, charter, export."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings, load_settings

EXIT_USAGE = 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="outputs-bot",
        description="Outputs: every channel declares what it produces; the bot captures it and "
        "reports each week.",
    )
    p.add_argument("--config", help="path to config.toml (default: $OUTPUTS_CONFIG, then ./config.toml)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    s = sub.add_parser("serve", help="run the HTTP server for Slack and Teams")
    s.add_argument("--socket-mode", action="store_true", help="serve Slack over Socket Mode instead of HTTP")

    s = sub.add_parser(
        "shell", help="the console adapter: a simulated workspace on the same engine and database"
    )
    s.add_argument(
        "--demo",
        action="store_true",
        help="run the bundled demo script on a fresh temporary SQLite database, then stay "
        "interactive when standard input is a terminal",
    )
    s.add_argument("--script", metavar="FILE", help="read console lines from FILE before standard input")

    sub.add_parser("migrate", help="upgrade the database schema to the latest version (Alembic)")

    s = sub.add_parser("digest", help="compute and post the digests that are due")
    s.add_argument("--channel", metavar="ID", help="only this channel, its current period, now")
    s.add_argument(
        "--dry-run", action="store_true", help="print the digests without posting or recording them"
    )

    s = sub.add_parser("charter", help="charters as code")
    csub = s.add_subparsers(dest="charter_command", metavar="ACTION", required=True)
    a = csub.add_parser("apply", help="validate FILE.toml completely, then create or update its charters")
    a.add_argument("file", metavar="FILE.toml")
    a.add_argument(
        "--by", default="charter-file", help="who the change is recorded as (default: charter-file)"
    )
    csub.add_parser("export", help="print every charter as TOML, ready for `charter apply`")

    s = sub.add_parser("export", help="print deliverables as CSV or JSON")
    s.add_argument("--format", choices=("csv", "json"), default="json")
    s.add_argument("--channel", metavar="ID", help="only this channel")
    s.add_argument(
        "--since",
        metavar="YYYY-MM-DD",
        type=date.fromisoformat,
        help="only deliverables created on or after this day (UTC)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"outputs-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    handlers: dict[str, Callable[[Settings, Any], Coroutine[Any, Any, int]]] = {
        "serve": serve,
        "shell": shell,
        "migrate": migrate,
        "digest": digest,
        "charter": charter,
        "export": export,
    }
    try:
        return asyncio.run(handlers[args.command](settings, args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from storage.database import SchemaBehind

        if isinstance(exc, SchemaBehind):
            print(f"outputs-bot: {exc}", file=sys.stderr)
            return EXIT_USAGE
        raise


async def serve(settings: Settings, args: Any) -> int:
    from adapters.serve import serve as run_server

    return await run_server(settings, socket_mode=args.socket_mode)


async def migrate(settings: Settings, args: Any) -> int:
    from storage.database import migrate as run_migrations

    await run_migrations(settings.database.url)
    print("Database is up to date.")
    return 0


async def shell(settings: Settings, args: Any) -> int:
    import tempfile

    from adapters.console.run import run_shell
    from bot.bootstrap import build
    from storage.database import migrate as run_migrations

    lines: list[str] = []
    url = None
    tmp = None
    if args.demo:
        tmp = tempfile.TemporaryDirectory(prefix="outputs-demo-")
        url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'demo.db'}"
        await run_migrations(url)
        lines = resources.files("adapters.console").joinpath("demo.txt").read_text().splitlines()
    if args.script:
        lines += Path(args.script).read_text().splitlines()
    app = await build(settings, url=url)
    try:
        await run_shell(app, lines, interactive_rest=not args.demo or sys.stdin.isatty())
    finally:
        await app.close()
        if tmp:
            tmp.cleanup()
    return 0


async def digest(settings: Settings, args: Any) -> int:
    from adapters.console.run import PrintPoster
    from bot.bootstrap import build
    from bot.charter import Schedule
    from bot.digests import as_reply, compute, post_due
    from bot.periods import period_at

    app = await build(settings)
    poster = PrintPoster()
    try:
        if args.channel:
            charters = [c for c in await app.repo.list_charters() if c.channel.channel_id == args.channel]
            if not charters:
                print(f"outputs-bot: no charter for channel {args.channel}", file=sys.stderr)
                return 1
            for c in charters:
                period = period_at(c.schedule or Schedule(), c.tz, datetime.now(UTC))
                reply = as_reply(await compute(app.engine.services, c, period))
                if args.dry_run or c.channel.platform not in poster.platforms:
                    print(PrintPoster.render(reply, c.channel))
                else:
                    await poster.post(reply, c.channel)
            return 0
        outcomes = await post_due(
            app.engine.services,
            poster,
            datetime.now(UTC),
            lease_seconds=settings.scheduler.lease_seconds,
            dry_run=args.dry_run,
        )
        for o in outcomes:
            if o.status == "preview":
                print(PrintPoster.render_text(o.text, o.charter.channel))
            print(
                f"{o.charter.channel.platform}/{o.charter.channel.channel_id} "
                f"{o.period.end:%Y-%m-%d %H:%M} UTC: {o.status}{': ' + o.error if o.error else ''}",
                file=sys.stderr,
            )
        if not outcomes:
            print("No digest is due.", file=sys.stderr)
        return 1 if any(o.status == "failed" for o in outcomes) else 0
    finally:
        await app.close()


async def charter(settings: Settings, args: Any) -> int:
    from bot import charter_file
    from bot.bootstrap import build

    if args.charter_command == "apply":
        try:
            charters = charter_file.load(Path(args.file).read_text(encoding="utf-8"), args.file)
        except OSError as exc:
            print(f"outputs-bot: cannot read {args.file}: {exc}", file=sys.stderr)
            return 1
        except charter_file.CharterFileError as exc:
            print(
                "outputs-bot: nothing was changed:\n" + "\n".join(f"  {p}" for p in exc.problems),
                file=sys.stderr,
            )
            return 1
    app = await build(settings)
    try:
        if args.charter_command == "export":
            print(charter_file.dump(await app.repo.list_charters()))
            return 0
        changed = 0
        for c in charters:
            current = await app.repo.get_charter(c.channel)
            update = c.model_copy(
                update={
                    "version": current.version if current else 0,
                    "created_at": current.created_at if current else datetime.now(UTC),
                }
            )
            if current and _same(current, update):
                continue
            await app.repo.save_charter(
                update, args.by, f"charter apply {Path(args.file).name}", datetime.now(UTC)
            )
            changed += 1
        print(f"{len(charters)} charters in {args.file}; {changed} created or updated.")
        return 0
    finally:
        await app.close()


def _same(a: Any, b: Any) -> bool:
    ignore = {"version", "created_at", "updated_at", "updated_by"}
    return bool(a.model_dump(exclude=ignore) == b.model_dump(exclude=ignore))


async def export(settings: Settings, args: Any) -> int:
    from bot import export as exporting
    from bot.bootstrap import build

    app = await build(settings)
    try:
        since = datetime.combine(args.since, datetime.min.time(), UTC) if args.since else None
        items = await app.repo.export(channel_id=args.channel, since=since)
        sys.stdout.write(exporting.render(items, args.format))
        if args.format == "json":
            sys.stdout.write("\n")
        return 0
    finally:
        await app.close()


if __name__ == "__main__":
    sys.exit(main())
