"""A delivery worker process for the kill test.

    python -m tests.reminders.delivery_worker --database URL --slack-api-url URL \\
        --token TOKEN --now 2026-12-04T15:00:00+00:00 --worker-id w1 [--concurrency 1]

Delivers what is due once, rendering each payload's `text`, and prints the
DeliveryReport as JSON on stdout. The run's clock starts at `--now` and moves
with real time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from slack_sdk import WebClient

from reminders.delivery import DeliverySettings, run_delivery
from storage.db import make_engine, make_session_factory
from tests.reminders.delivery_support import compose_from_payload


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True, help="SQLAlchemy database URL")
    parser.add_argument("--slack-api-url", required=True, help="Web API base URL")
    parser.add_argument("--token", required=True, help="bot token the stand-in accepts")
    parser.add_argument("--now", required=True, help="ISO 8601 instant the run starts at")
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--concurrency", type=int, default=DeliverySettings().concurrency)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)

    start = datetime.fromisoformat(args.now)
    started = time.monotonic()

    def clock() -> datetime:
        return start + timedelta(seconds=time.monotonic() - started)

    engine = make_engine(args.database)
    try:
        report = run_delivery(
            make_session_factory(engine),
            WebClient(token=args.token, base_url=args.slack_api_url),
            compose_from_payload,
            clock,
            now=start,
            worker_id=args.worker_id,
            settings=DeliverySettings(concurrency=args.concurrency),
        )
    finally:
        engine.dispose()
    print(json.dumps(dataclasses.asdict(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
