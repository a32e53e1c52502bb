"""`outputs-bot`: serve, shell, migrate, digest, charter, export, config check, secret."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from app.cli_args import parser
from app.cli_secret import secret
from bot.config import ConfigError, Settings, load_settings

EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
    except BrokenPipeError:
        # `outputs-bot export | head`: the reader left; say nothing more, as cat does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def run(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "secret" and args.secret_command == "new":
        # before the settings: a bad key in them is when a new one is needed
        from bot.secret_keys import new_key

        print(new_key())
        return 0
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"outputs-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from bot.logs import configure_for

    configure_for(settings)
    handlers: dict[str, Callable[[Settings, Any], Coroutine[Any, Any, int]]] = {
        "serve": serve,
        "shell": shell,
        "migrate": migrate,
        "digest": digest,
        "charter": charter,
        "export": export,
        "config": config,
        "inbox": inbox,
        "secret": secret,
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
    from app.serve import serve as run_server

    return await run_server(settings, socket_mode=args.socket_mode)


async def migrate(settings: Settings, args: Any) -> int:
    from storage.database import Database, schema_status
    from storage.database import migrate as run_migrations
    from storage.secrets import SecretKeyError

    db = Database(settings.database.url)
    key = settings.security.secret_key
    try:
        before, head = await schema_status(db)
        await run_migrations(db, secret_key=key.get_secret_value() if key else None)
    except SecretKeyError as exc:  # stored tokens to encrypt and no key: nothing was changed
        print(f"outputs-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        await db.dispose()
    if before != head:
        print(f"Database upgraded from revision {before or '(empty)'} to {head}.")
    print("Database is up to date.")
    return 0


async def shell(settings: Settings, args: Any) -> int:
    import tempfile

    from adapters.console.run import run_shell
    from adapters.console.world import MovableClock
    from app.bootstrap import build
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
    clock = MovableClock()
    app = await build(settings, clock, url=url)
    try:
        await run_shell(app, clock, lines, interactive_rest=not args.demo or sys.stdin.isatty())
    finally:
        await app.close()
        if tmp:
            tmp.cleanup()
    return 0


async def digest(settings: Settings, args: Any) -> int:
    """What is due now, through the same claims as the scheduler: cron can drive this."""
    from app.bootstrap import build

    app = await build(settings)
    try:
        if args.status:
            return await _digest_status(app, args.channel)
        if args.dry_run:
            return await _digest_preview(app, args.channel)
        return await _digest_post(app, args.channel)
    finally:
        await app.close()


async def _digest_status(app: Any, channel: str | None) -> int:
    lease = timedelta(seconds=app.settings.scheduler.lease_seconds)
    runs = [r for r in await app.repo.digest_runs() if channel in (None, r.channel.channel_id)]
    if not runs:
        print("No digest has been posted yet.")
        return 0
    print(f"{'period end (UTC)':<16}  {'channel':<30}  {'status':<22}  {'done (UTC)':<16}  detail")
    for r in runs:
        status = r.status + (", late" if r.late else "")
        if r.status == "claimed" and r.claimed_at < datetime.now(UTC) - lease:
            status = "claimed, lease expired"
        done = f"{r.sent_at:%Y-%m-%d %H:%M}" if r.sent_at else "-"
        detail = r.error or r.message_id or ""
        where = f"{r.channel.platform}/{r.channel.workspace_id}/{r.channel.channel_id}"
        print(f"{r.period_end:%Y-%m-%d %H:%M}  {where:<30}  {status:<22}  {done:<16}  {detail}")
    return 1 if any(r.status == "failed" for r in runs) else 0


async def _digest_preview(app: Any, channel: str | None) -> int:
    from adapters.console.run import PrintPoster
    from bot.digests import as_reply, compute, post_due
    from bot.periods import period_at

    services = app.engine.services
    if channel:
        charters = [c for c in await app.repo.list_charters() if c.channel.channel_id == channel]
        if not charters:
            print(f"outputs-bot: no charter for channel {channel}", file=sys.stderr)
            return 1
        for c in charters:  # the current period so far, as `digest preview` shows it
            period = period_at(c.effective_schedule, c.tz, datetime.now(UTC))
            print(PrintPoster.render(as_reply(await compute(services, c, period)), c.channel))
        return 0
    outcomes = await post_due(services, _Nowhere(), datetime.now(UTC), dry_run=True)
    for o in outcomes:
        print(PrintPoster.render_text(o.text, o.charter.channel))
    if not outcomes:
        print("No digest is due.", file=sys.stderr)
    return 0


async def _digest_post(app: Any, channel: str | None) -> int:
    """Digests (all, or one channel's), then nudges and roll-ups, as one scheduler pass."""
    from types import SimpleNamespace

    from adapters.console.run import PrintPoster
    from adapters.platform import Posters
    from app.serve import configured, load_servers
    from bot.digests import post_due
    from bot.fanout import Fanout, Pace
    from bot.passes import run_pass

    if channel and not any(c.channel.channel_id == channel for c in await app.repo.list_charters()):
        print(f"outputs-bot: no charter for channel {channel}", file=sys.stderr)
        return 1
    s = app.settings.scheduler
    servers = load_servers(app, app.settings, configured(app.settings)[0], False)
    poster = Posters([*servers, SimpleNamespace(name="console", poster=PrintPoster())])
    fanout, now, others = Fanout(Pace.from_settings(s)), datetime.now(UTC), []
    services, lease = app.engine.services, s.lease_seconds
    try:
        if channel:
            outcomes = await post_due(
                services, poster, now, lease_seconds=lease, fanout=fanout, channel_id=channel
            )
            if not outcomes:  # nothing due: the channel's digest of the period so far, now
                return await _post_current(app, poster, channel)
        else:
            report = await run_pass(services, poster, now, fanout=fanout, lease_seconds=lease)
            outcomes, others = report.digests, report.nudges + report.rollups
    finally:
        for server in servers:
            await server.stop()
    for o in outcomes:
        print(
            f"{o.charter.channel.platform}/{o.charter.channel.channel_id} "
            f"{o.period.end:%Y-%m-%d %H:%M} UTC: {o.status}{': ' + o.error if o.error else ''}",
            file=sys.stderr,
        )
    for p in others:
        where = f"{p.channel.platform}/{p.channel.channel_id}"
        print(f"{p.kind} {where}: {p.delivery.error or 'sent'}", file=sys.stderr)
    if not outcomes:
        print("No digest is due.", file=sys.stderr)
    return 1 if any(o.status == "failed" for o in outcomes) else 0


async def _post_current(app: Any, poster: Any, channel: str) -> int:
    """SPEC: `digest --channel ID` posts that channel's digest now. With no closed period
    waiting, that is the current period so far (like `digest post`), outside the claims."""
    from bot.digests import as_reply, compute
    from bot.periods import period_at

    failed = False
    for c in await app.repo.list_charters():
        if c.channel.channel_id != channel:
            continue
        if c.channel.platform not in poster.platforms:
            print(f"{c.channel.platform}/{channel}: that platform is not configured", file=sys.stderr)
            failed = True
            continue
        period = period_at(c.effective_schedule, c.tz, datetime.now(UTC))
        try:
            message_id = await poster.post(as_reply(await compute(app.engine.services, c, period)), c.channel)
        except Exception as exc:  # reported, like any platform error
            print(f"{c.channel.platform}/{channel}: failed: {exc}", file=sys.stderr)
            failed = True
            continue
        print(f"{c.channel.platform}/{channel}: current period posted ({message_id})", file=sys.stderr)
    return 1 if failed else 0


class _Nowhere:
    """For previews: every platform's due digests are computed; nothing is posted."""

    platforms = frozenset({"slack", "teams", "console"})

    async def post(self, reply: Any, channel: Any) -> str:
        raise AssertionError("a preview posts nothing")


async def charter(settings: Settings, args: Any) -> int:
    from app.bootstrap import build
    from bot import charter_file

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
        changed = await charter_file.apply(app.engine.services, charters, args.by, Path(args.file).name)
        print(f"{len(charters)} charters in {args.file}; {changed} created or updated.")
        return 0
    finally:
        await app.close()


async def config(settings: Settings, args: Any) -> int:
    from app.config_check import check

    source = args.config or os.environ.get("OUTPUTS_CONFIG") or ""
    if not source and Path("config.toml").is_file():
        source = "config.toml"
    return await check(
        settings, sys.stdout, str(Path(source).resolve()) if source else "", online=args.online
    )


async def inbox(settings: Settings, args: Any) -> int:
    from app.bootstrap import build

    app = await build(settings)
    try:
        stats = await app.inbox.stats()
        failures = await app.inbox.failures(max(0, args.failures)) if args.failures > 0 else []
        now = app.engine.services.clock.now()
    finally:
        await app.close()
    oldest = f" (oldest received {age(now - stats.oldest_pending)} ago)" if stats.oldest_pending else ""
    print(f"pending  {stats.pending}{oldest}")
    print(f"running  {stats.running}")
    print(f"failed   {stats.failed}")
    for f in failures:
        print(
            f"  #{f.id} {f.kind} received {f.received_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"{f.attempts} tries: {f.error}"
        )
    return 1 if stats.failed else 0


def age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


async def export(settings: Settings, args: Any) -> int:
    from app.bootstrap import build
    from bot import export as exporting

    app = await build(settings)
    try:
        since = datetime.combine(args.since, datetime.min.time(), UTC) if args.since else None
        # Straight to stdout, a batch of rows at a time: constant memory, and no cap (the chat
        # export's cap sends people here for a whole history). A closed pipe is met in a
        # write or the flush, inside main's handler, not at exit; between batches the
        # repository holds no connection, so leaving mid-export leaves nothing open.
        batches = app.repo.export_batches(channel_id=args.channel, since=since)
        await exporting.write(batches, args.format, sys.stdout.write)
        if args.format == "json":
            sys.stdout.write("\n")
        sys.stdout.flush()
        return 0
    finally:
        await app.close()


if __name__ == "__main__":
    sys.exit(main())
