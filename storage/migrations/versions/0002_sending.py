"""notices sent by the bot: send runs and one attempt per (client, draft version, channel)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sendrun',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('versions', sa.JSON(), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('drill', sa.Boolean(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('lease_until', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('progress_message', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'number')
    )
    with op.batch_alter_table('sendrun', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sendrun_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sendrun_next_at'), ['next_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sendrun_state'), ['state'], unique=False)

    op.create_table('sendattempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('claimed_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['sendrun.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['draftversion.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_id', 'version_id', 'channel')
    )
    with op.batch_alter_table('sendattempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sendattempt_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sendattempt_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sendattempt_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sendattempt_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sendattempt_state'), ['state'], unique=False)


def downgrade() -> None:
    op.drop_table('sendattempt')
    op.drop_table('sendrun')
