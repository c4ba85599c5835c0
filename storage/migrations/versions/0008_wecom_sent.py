"""wecom sent: WeCom's per-person pace and the rooms owed a fresh status, in the database for every serve and worker

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'wecom_sent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('sent_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_wecom_sent_person'), 'wecom_sent', ['person'], unique=False)
    op.create_table(
        'wecom_room_due',
        sa.Column('chat_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('made_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('chat_id'),
    )


def downgrade() -> None:
    op.drop_table('wecom_room_due')
    op.drop_index(op.f('ix_wecom_sent_person'), table_name='wecom_sent')
    op.drop_table('wecom_sent')
