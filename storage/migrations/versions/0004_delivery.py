"""delivery: outbox lanes, failure kinds, dead letters

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outboundmessage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lane', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('meta', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('first_failed_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('dead_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outboundmessage_lane'), ['lane'], unique=False)
    # Rows kept by an older version: one lane per target, as they were ordered then.
    op.execute("UPDATE outboundmessage SET lane = op || ':' || target WHERE lane = ''")


def downgrade() -> None:
    with op.batch_alter_table('outboundmessage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outboundmessage_lane'))
        batch_op.drop_column('dead_at')
        batch_op.drop_column('first_failed_at')
        batch_op.drop_column('reason')
        batch_op.drop_column('meta')
        batch_op.drop_column('lane')
