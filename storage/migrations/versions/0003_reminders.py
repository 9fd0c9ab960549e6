"""add reminder settings, the nudge log and task snoozes

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 21:40:00.000000
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Existing rooms are due for planning at once, so the first sweep schedules them.
_LONG_AGO = {
    "postgresql": "2000-01-01 00:00:00+00",
    "sqlite": "2000-01-01 00:00:00.000000",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    nine = sa.text("'09:00:00.000000'")
    room_columns: list[sa.Column[Any]] = [
        sa.Column("reminder_time", sa.Time(), nullable=False, server_default=nine),
        sa.Column("workday_mask", sa.Integer(), nullable=False, server_default="31"),
        sa.Column("nudges_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("overdue_steps", sa.String(length=64), nullable=False, server_default="1,3,7"),
        sa.Column(
            "nudge_delivery",
            sa.Enum("channel", "dm", name="nudge_delivery", native_enum=False, length=8),
            nullable=False,
            server_default="channel",
        ),
        sa.Column("summary_weekday", sa.Integer(), nullable=True, server_default="0"),
        sa.Column("summary_time", sa.Time(), nullable=False, server_default=nine),
        sa.Column("next_summary_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "next_nudge_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=_LONG_AGO.get(dialect, _LONG_AGO["postgresql"]),
        ),
        sa.Column("nudges_planned_through", sa.Date(), nullable=True),
    ]
    for column in room_columns:
        op.add_column("deal_rooms", column)
    op.create_index("ix_deal_rooms_next_nudge_at", "deal_rooms", ["next_nudge_at"])
    op.create_index("ix_deal_rooms_next_summary_at", "deal_rooms", ["next_summary_at"])

    op.add_column("tasks", sa.Column("snoozed_until", sa.Date(), nullable=True))
    op.create_index("ix_tasks_room_status_due", "tasks", ["room_id", "status", "due_date"])

    op.create_table(
        "nudge_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("outbox_key", sa.String(length=200), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["room_id"], ["deal_rooms.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "kind", "local_day", name="uq_nudge_log_task_kind_day"),
    )
    op.create_index("ix_nudge_log_room_day", "nudge_log", ["room_id", "local_day"])


def downgrade() -> None:
    op.drop_index("ix_nudge_log_room_day", table_name="nudge_log")
    op.drop_table("nudge_log")
    op.drop_index("ix_tasks_room_status_due", table_name="tasks")
    op.drop_column("tasks", "snoozed_until")
    op.drop_index("ix_deal_rooms_next_summary_at", table_name="deal_rooms")
    op.drop_index("ix_deal_rooms_next_nudge_at", table_name="deal_rooms")
    for name in (
        "nudges_planned_through",
        "next_nudge_at",
        "next_summary_at",
        "summary_time",
        "summary_weekday",
        "nudge_delivery",
        "overdue_steps",
        "nudges_enabled",
        "workday_mask",
        "reminder_time",
    ):
        op.drop_column("deal_rooms", name)
