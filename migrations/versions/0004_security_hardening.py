"""security hardening: session versions, counted audit events, junk bursts, throttle pruning

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 17:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('count', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('burst_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('excluded', sa.Boolean(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_responses_burst_id'), ['burst_id'], unique=False)

    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_counters_window_start'), ['window_start'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_counters_window_start'))

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_burst_id'))
        batch_op.drop_column('excluded')
        batch_op.drop_column('burst_id')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('count')

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
