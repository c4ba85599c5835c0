"""console clock: the time the console's last run skipped to, kept per workspace so a restart goes on from it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workspace') as batch:
        batch.add_column(sa.Column('clock_at', storage.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workspace') as batch:
        batch.drop_column('clock_at')
