"""incident page links: a signing key per workspace and the links given out

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pagesecret',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('workspace_id')
    )
    op.create_table('pagelink',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('for_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'number')
    )
    with op.batch_alter_table('pagelink', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pagelink_incident_id'), ['incident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pagelink', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pagelink_incident_id'))
    op.drop_table('pagelink')
    op.drop_table('pagesecret')
