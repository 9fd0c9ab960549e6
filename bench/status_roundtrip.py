"""Round-trip time of `/map status` against a bare Bolt app, on one HTTP server.

Run with `make bench` (or `python -m bench.status_roundtrip`). One waitress
server serves three apps side by side, and requests to them are interleaved
so that machine noise hits all three alike:

- mapbot, with a room of 20 milestones x 20 tasks. It acknowledges first and then
  posts the plan to the Slack stand-in, so the time until the plan is posted
  is measured too;
- a bare Bolt app whose `/map` handler only calls `ack()`, with
  `process_before_response=True` as mapbot uses;
- the same bare app with Bolt's default runner, which waits for `ack()`.

It also counts the SQL statements one `/map status` issues.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from sqlalchemy import event

from bot.config import Config
from bot.playground.slack_requests import SignedSender, slash_command_body
from bot.playground.standin import SlackStandIn
from bot.runtime import build_runtime
from bot.server import bound_port, create_server, make_wsgi_app, stop_server
from storage import plans

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SECRET = "bench-signing-secret"
CHANNEL = "C0BENCH"
USER = "U0BENCH"


def bare_app(standin: SlackStandIn, process_before_response: bool) -> App:
    from slack_sdk import WebClient

    client = WebClient(token=standin.bot_token, base_url=standin.api_url)
    app = App(
        client=client,
        signing_secret=SECRET,
        process_before_response=process_before_response,
        token_verification_enabled=False,
    )

    def only_ack(ack: Ack) -> None:
        ack()

    app.command("/map")(only_ack)
    return app


def mounted(routes: dict[str, WSGIApplication]) -> WSGIApplication:
    """Send each request to the app mounted at the first part of its path."""

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        prefix, _, rest = path.lstrip("/").partition("/")
        environ["PATH_INFO"] = "/" + rest
        return routes[prefix](environ, start_response)

    return wsgi


def seed_room(runtime: Any, milestones: int, tasks: int) -> None:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    with runtime.services.sessions.begin() as session:
        room = plans.create_room(
            session,
            team_id=runtime.services.team_id,
            channel_id=CHANNEL,
            deal_name="Benchmark deal",
            actor=USER,
            now=now,
        )
        for m in range(milestones):
            milestone = plans.add_milestone(
                session, room, title=f"Milestone {m + 1}", due_date=None, actor=USER, now=now
            )
            for t in range(tasks):
                new = plans.NewTask(
                    title=f"Task {t + 1} of milestone {m + 1}",
                    side=plans.Side.SELLER,
                    owner_user_id=USER,
                )
                plans.add_task(session, room, milestone, new, actor=USER, now=now)


def timed(send: Callable[[], int]) -> float:
    started = time.perf_counter()
    status = send()
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"request failed with HTTP {status}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per app")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per app")
    parser.add_argument("--show-sql", action="store_true", help="print the SQL of one status")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder, SlackStandIn(team_id="T0HOME") as standin:
        standin.add_user(USER, "T0HOME", "bench.user")
        standin.add_channel(CHANNEL, "bench")
        config = Config(
            bot_token=standin.bot_token,
            signing_secret=SECRET,
            app_token=None,
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
            slack_api_url=standin.api_url,
            port=0,
        )
        runtime = build_runtime(config, migrate=True)
        seed_room(runtime, milestones=20, tasks=20)

        wsgi = mounted(
            {
                "mapbot": make_wsgi_app(runtime.app, runtime.engine),
                "bare": make_wsgi_app(bare_app(standin, True), runtime.engine),
                "bare-default": make_wsgi_app(bare_app(standin, False), runtime.engine),
            }
        )
        server = create_server(wsgi, "127.0.0.1", 0)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{bound_port(server)}"

        def sender_for(prefix: str) -> Callable[[], int]:
            sender = SignedSender(f"{base}/{prefix}/slack/events", SECRET)

            def send() -> int:
                body = slash_command_body(
                    team_id="T0HOME",
                    channel_id=CHANNEL,
                    user_id=USER,
                    text="status",
                    response_url=standin.new_response_url(CHANNEL, USER),
                    trigger_id=standin.new_trigger_id(USER),
                )
                return sender.post(body).status

            return send

        apps = {name: sender_for(name) for name in ("mapbot", "bare", "bare-default")}
        for _ in range(args.warmup):
            for send in apps.values():
                timed(send)

        statements: list[str] = []

        def count_statement(*arguments: Any) -> None:
            statements.append(arguments[2])

        # Earlier requests' background work must not be counted with this one.
        runtime.background.wait_idle()
        event.listen(runtime.engine, "before_cursor_execute", count_statement)
        timed(apps["mapbot"])
        runtime.background.wait_idle()
        statement_count = len(statements)
        if args.show_sql:
            print("\n".join(s.split(chr(10))[0][:120] for s in statements))
        event.remove(runtime.engine, "before_cursor_execute", count_statement)

        samples: dict[str, list[float]] = {name: [] for name in apps}
        samples["mapbot, plan posted"] = []
        for _ in range(args.requests):
            for name, send in apps.items():
                started = time.perf_counter()
                samples[name].append(timed(send))
                if name == "mapbot":
                    # The HTTP response goes out first; the plan is posted right after it.
                    runtime.background.wait_idle()
                    samples["mapbot, plan posted"].append(time.perf_counter() - started)

        stop_server(server, thread)
        report(samples, statement_count, args.requests)


def report(samples: dict[str, list[float]], statement_count: int, requests: int) -> None:
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print(f"requests per app: {requests}, interleaved")
    for name, median in medians.items():
        p90 = statistics.quantiles(samples[name], n=10)[-1] * 1000
        print(f"{name:>19}: median {median:7.2f} ms   p90 {p90:7.2f} ms")
    print(f"mapbot / bare (process_before_response): {medians['mapbot'] / medians['bare']:.2f}x")
    print(f"SQL statements in one /map status: {statement_count}")


if __name__ == "__main__":
    main()
