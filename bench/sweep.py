"""Time one reminder planning sweep over many rooms with few tasks due.

Run with `python -m bench.sweep` (SQLite) or `python -m bench.sweep --postgres`.
It builds two databases side by side: `--rooms` rooms with `--tasks` tasks,
and the same rooms with `--scale` times the tasks. Both have exactly `--due`
tasks that get a nudge at the sweep instant, Monday 2026-12-07 09:00 UTC, and
every room is due for planning then. The other tasks are completed (about 60%),
due in 2027 (35%) or undated (5%), so they are stored but not due.

Runs alternate between the two databases, so that machine noise hits both
alike, and the state a sweep writes is reset before each run. Times are wall
time of `Planner.sweep`. Peak memory is measured in separate runs with
tracemalloc, which slows Python down, so those runs are not timed.

PostgreSQL: `--postgres` uses `MAPBOT_BENCH_POSTGRES_URL` if set, otherwise it
starts a private server with `scripts/postgres.sh` and stops it at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as wall_time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, insert, text, update
from sqlalchemy.engine import make_url

from reminders.planner import Planner
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import DealRoom, Milestone, Side, Status, Task
from storage.outbox_models import OutboxMessage
from storage.reminder_models import NudgeLog

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LAST_PLANNED = date(2026, 12, 4)
NEXT_SUMMARY = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
CREATED = datetime(2026, 11, 1, tzinfo=UTC)
# Due dates that each give a nudge on Monday 2026-12-07 with the default settings:
# heads-up (due Tuesday), due day, 1 and 3 working days overdue.
DUE_DATES = (date(2026, 12, 8), date(2026, 12, 7), date(2026, 12, 4), date(2026, 12, 2))
INSERT_CHUNK = 20_000
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Dataset:
    name: str
    engine: Engine
    rooms: int
    tasks: int
    due: int


def room_rows(rooms: int) -> list[dict[str, Any]]:
    return [
        {
            "id": number,
            "team_id": "T0BENCH",
            "channel_id": f"C{number:08d}",
            "deal_name": f"Deal {number}",
            "timezone": "UTC",
            "created_by": "U0BENCH",
            "created_at": CREATED,
            "updated_at": CREATED,
            "next_task_number": 1,
            "reminder_time": wall_time(9, 0),
            "workday_mask": 0b0011111,
            "nudges_enabled": True,
            "overdue_steps": "1,3,7",
            "nudge_delivery": "channel",
            "summary_weekday": 0,
            "summary_time": wall_time(9, 0),
            "next_summary_at": NEXT_SUMMARY,
            "next_nudge_at": NOW,
            "nudges_planned_through": LAST_PLANNED,
        }
        for number in range(1, rooms + 1)
    ]


def task_rows(rooms: int, tasks: int, due: int) -> Iterator[dict[str, Any]]:
    """Yield `tasks` tasks spread evenly over the rooms, `due` of them due at NOW."""
    per_room = tasks // rooms
    due_every = tasks // due
    for index in range(tasks):
        room = index // per_room + 1
        number = index % per_room + 1
        status, due_date = Status.NOT_STARTED, None
        if index % due_every == 0:
            due_date = DUE_DATES[(index // due_every) % len(DUE_DATES)]
        elif index % 20 < 12:
            status, due_date = Status.COMPLETED, date(2026, 10, 1 + index % 28)
        elif index % 20 < 19:
            due_date = date(2027, 1 + index % 12, 1 + index % 28)
        yield {
            "room_id": room,
            "milestone_id": room,
            "number": number,
            "title": f"Task {number} of room {room}",
            "owner_user_id": f"U{room:08d}",
            "side": Side.SELLER,
            "due_date": due_date,
            "status": status,
            "completed_at": CREATED if status is Status.COMPLETED else None,
            "created_at": CREATED,
            "version": 1,
        }


def load(engine: Engine, rooms: int, tasks: int, due: int) -> None:
    """Fill a migrated database with rooms, one milestone each, and tasks, in bulk."""
    milestones = [
        {
            "id": room,
            "room_id": room,
            "position": 1,
            "title": "Security review",
            "status": Status.NOT_STARTED,
            "status_manual": False,
            "created_at": CREATED,
        }
        for room in range(1, rooms + 1)
    ]
    with engine.begin() as connection:
        connection.execute(insert(DealRoom), room_rows(rooms))
        connection.execute(insert(Milestone), milestones)
        chunk: list[dict[str, Any]] = []
        for row in task_rows(rooms, tasks, due):
            chunk.append(row)
            if len(chunk) == INSERT_CHUNK:
                connection.execute(insert(Task), chunk)
                chunk = []
        if chunk:
            connection.execute(insert(Task), chunk)
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def reset(engine: Engine) -> None:
    """Undo what a sweep wrote: its outbox rows, nudge log rows and room schedules."""
    with engine.begin() as connection:
        connection.execute(delete(NudgeLog))
        connection.execute(delete(OutboxMessage))
        connection.execute(
            update(DealRoom).values(
                next_nudge_at=NOW,
                nudges_planned_through=LAST_PLANNED,
                next_summary_at=NEXT_SUMMARY,
            )
        )
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            autocommit.execute(text("VACUUM ANALYZE deal_rooms, outbox, nudge_log"))


def timed_sweep(dataset: Dataset) -> float:
    reset(dataset.engine)
    planner = Planner(make_session_factory(dataset.engine))
    start = time.perf_counter()
    report = planner.sweep(NOW)
    elapsed = time.perf_counter() - start
    if report.nudges != dataset.due or report.rooms_for_nudges != dataset.rooms:
        raise RuntimeError(
            f"{dataset.name}: planned {report.nudges} nudges in {report.rooms_for_nudges} "
            f"rooms, expected {dataset.due} in {dataset.rooms}"
        )
    return elapsed


def peak_memory(dataset: Dataset) -> int:
    """Return the peak bytes Python allocated during one sweep, by tracemalloc."""
    reset(dataset.engine)
    planner = Planner(make_session_factory(dataset.engine))
    tracemalloc.start()
    try:
        planner.sweep(NOW)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def explain(dataset: Dataset) -> list[str]:
    """Run one sweep, capture its first SELECT of each table, and return their query plans."""
    from sqlalchemy import event

    captured: dict[str, tuple[str, Any]] = {}

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            return
        for table in ("FROM deal_rooms", "FROM tasks", "FROM nudge_log"):
            if table in statement and table not in captured:
                captured[table] = (statement, parameters)

    reset(dataset.engine)
    event.listen(dataset.engine, "before_cursor_execute", capture)
    try:
        Planner(make_session_factory(dataset.engine)).sweep(NOW)
    finally:
        event.remove(dataset.engine, "before_cursor_execute", capture)

    prefix = "EXPLAIN QUERY PLAN " if dataset.engine.dialect.name == "sqlite" else "EXPLAIN "
    lines = []
    raw = dataset.engine.raw_connection()
    try:
        for table, (statement, parameters) in captured.items():
            cursor = raw.cursor()
            cursor.execute(prefix + statement, parameters)
            plan = [" ".join(str(column) for column in row) for row in cursor.fetchall()]
            lines.append(f"{table}:\n    " + "\n    ".join(plan))
            cursor.close()
        raw.rollback()
    finally:
        raw.close()
    return lines


def sqlite_datasets(folder: Path, args: argparse.Namespace) -> list[Dataset]:
    datasets = []
    for name, tasks in (("base", args.tasks), ("scaled", args.tasks * args.scale)):
        engine = make_engine(f"sqlite:///{folder / f'{name}.db'}")
        upgrade(engine)
        load(engine, args.rooms, tasks, args.due)
        datasets.append(Dataset(name, engine, args.rooms, tasks, args.due))
    return datasets


def postgres_datasets(url: str, args: argparse.Namespace) -> list[Dataset]:
    """Load each dataset into a schema of its own on the server at `url`."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    datasets = []
    for name, tasks in (("base", args.tasks), ("scaled", args.tasks * args.scale)):
        schema = f"bench_{name}_{uuid.uuid4().hex[:6]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        options = f"-csearch_path={schema}"
        schema_url = make_url(url).update_query_dict({"options": options})
        engine = make_engine(schema_url.render_as_string(hide_password=False))
        upgrade(engine)
        load(engine, args.rooms, tasks, args.due)
        datasets.append(Dataset(name, engine, args.rooms, tasks, args.due))
    admin.dispose()
    return datasets


def machine(datasets: list[Dataset]) -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    with datasets[0].engine.connect() as connection:
        if datasets[0].engine.dialect.name == "sqlite":
            database = f"SQLite {sqlite3.sqlite_version}"
        else:
            database = str(connection.execute(text("SHOW server_version")).scalar())
            database = f"PostgreSQL {database}"
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {database}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def report(datasets: list[Dataset], times: dict[str, list[float]], memory: dict[str, int]) -> None:
    base, scaled = datasets
    for dataset in datasets:
        runs = ", ".join(f"{seconds:.3f}" for seconds in times[dataset.name])
        print(
            f"{dataset.name}: {dataset.rooms} rooms, {dataset.tasks} tasks, {dataset.due} due: "
            f"median {statistics.median(times[dataset.name]):.3f} s (runs {runs} s), "
            f"peak {memory[dataset.name] / 2**20:.1f} MiB"
        )
    ratios = [
        late / early for early, late in zip(times[base.name], times[scaled.name], strict=True)
    ]
    ratio = statistics.median(times[scaled.name]) / statistics.median(times[base.name])
    print(
        f"scaled / base: {ratio:.2f} (ratio of medians); per run pair "
        + ", ".join(f"{value:.2f}" for value in ratios)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="run on PostgreSQL")
    parser.add_argument("--rooms", type=int, default=10_000, help="deal rooms (default 10000)")
    parser.add_argument("--tasks", type=int, default=200_000, help="tasks of the base dataset")
    parser.add_argument("--scale", type=int, default=10, help="task multiplier of the second")
    parser.add_argument("--due", type=int, default=2_000, help="tasks nudged at the instant")
    parser.add_argument("--runs", type=int, default=5, help="timed sweeps per dataset")
    parser.add_argument("--explain", action="store_true", help="print the sweep's query plans")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mapbot-bench-") as folder:
        url = os.environ.get("MAPBOT_BENCH_POSTGRES_URL")
        started = args.postgres and not url
        # Not inside `folder`: as root, the script runs the server as `postgres`,
        # which must reach the directory, and `folder` is private to this user.
        server_dir = Path(tempfile.mkdtemp(prefix="mapbot-bench-postgres-"))
        if started:
            command = [str(ROOT / "scripts" / "postgres.sh"), "start", str(server_dir)]
            url = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()
        try:
            print("Loading data...", flush=True)
            load_start = time.perf_counter()
            if args.postgres:
                assert url is not None
                datasets = postgres_datasets(url, args)
            else:
                datasets = sqlite_datasets(Path(folder), args)
            print(f"Loaded in {time.perf_counter() - load_start:.0f} s. {machine(datasets)}")

            times: dict[str, list[float]] = {dataset.name: [] for dataset in datasets}
            for _ in range(args.runs):
                for dataset in datasets:
                    times[dataset.name].append(timed_sweep(dataset))
            memory = {dataset.name: peak_memory(dataset) for dataset in datasets}
            report(datasets, times, memory)
            if args.explain:
                for dataset in datasets:
                    print(f"Query plans, {dataset.name}:")
                    print("\n".join(explain(dataset)))
            for dataset in datasets:
                dataset.engine.dispose()
        finally:
            if started:
                stop = [str(ROOT / "scripts" / "postgres.sh"), "stop", str(server_dir)]
                subprocess.run(stop, check=False)
            shutil.rmtree(server_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
