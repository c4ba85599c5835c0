"""firm keys: one data key per firm, wrapped under the deployment's BREACHBOT_DATA_KEY

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'firm_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('wrapped', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_firm_key_workspace_id'), 'firm_key', ['workspace_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_firm_key_workspace_id'), table_name='firm_key')
    op.drop_table('firm_key')
