"""add the live plan message to deal rooms

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 21:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deal_rooms", sa.Column("plan_message_ts", sa.String(length=32), nullable=True))
    op.add_column(
        "deal_rooms", sa.Column("plan_page", sa.Integer(), nullable=False, server_default="1")
    )
    op.add_column(
        "deal_rooms", sa.Column("plan_message_error", sa.String(length=64), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("deal_rooms") as batch:
        batch.drop_column("plan_message_error")
        batch.drop_column("plan_page")
        batch.drop_column("plan_message_ts")
