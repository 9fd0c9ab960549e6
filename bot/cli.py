"""The `mapbot` command line: run, try, db upgrade, scheduler, reminders run."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot.config import Config, ConfigError
from reminders.cli import add_commands, add_run_options, start_embedded

logger = logging.getLogger("mapbot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return int(args.handler(args))
    except ConfigError as error:
        print(f"mapbot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mapbot", description="Mutual Action Plans in Slack.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="serve Slack: Socket Mode or HTTP /slack/events")
    run.add_argument("--host", default="0.0.0.0", help="address to listen on (HTTP mode)")
    run.add_argument("--port", type=int, default=None, help="port to listen on (default: $PORT)")
    add_run_options(run)
    run.set_defaults(handler=_run)

    try_ = commands.add_parser("try", help="run the whole bot locally with a stand-in for Slack")
    try_.add_argument("--script", help="read commands from this file and print the transcript")
    try_.add_argument("--database", help="SQLite file to use (default: a new temporary file)")
    try_.add_argument(
        "--verbose",
        dest="try_verbose",
        action="store_true",
        help="log the bot's INFO messages to stderr (default: WARNING and above)",
    )
    try_.set_defaults(handler=_try)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_upgrade = db_commands.add_parser("upgrade", help="apply pending schema migrations")
    db_upgrade.set_defaults(handler=_db_upgrade)

    add_commands(commands)
    return parser


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # Alembic lists every plugin it loads at INFO; the migrations it runs stay visible.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _run(args: argparse.Namespace) -> int:
    from bot.runtime import build_runtime

    config = Config.from_env()
    runtime = build_runtime(config)
    runtime.live_plan.start()
    if not args.no_scheduler:
        start_embedded(runtime)
    if config.app_token is not None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        logger.info("Starting in Socket Mode")
        SocketModeHandler(runtime.app, config.app_token).start()
        return 0

    from bot.server import create_server, make_wsgi_app

    port = args.port if args.port is not None else config.port
    server = create_server(make_wsgi_app(runtime.app, runtime.engine), args.host, port)
    logger.info("Serving Slack requests on http://%s:%s/slack/events", args.host, port)
    server.run()
    return 0


def _try(args: argparse.Namespace) -> int:
    # The level is set before the import, because importing Alembic logs at INFO.
    level = _try_log_level(args)
    logging.getLogger().setLevel(level)
    from bot.playground.terminal import run_playground

    return run_playground(script=args.script, database=args.database, log_level=level)


def _try_log_level(args: argparse.Namespace) -> int:
    """Log only warnings by default, so the playground's transcript stays readable."""
    if args.verbose:
        return logging.DEBUG
    if args.try_verbose:
        return logging.INFO
    return logging.WARNING


def _db_upgrade(_args: argparse.Namespace) -> int:
    import os

    from bot.config import DEFAULT_DATABASE_URL
    from storage.db import make_engine, upgrade

    upgrade(make_engine(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
