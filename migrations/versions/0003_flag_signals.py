"""safeguarding flags keep the learned signal: model version, signals, score

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('safeguarding_flags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('model_version', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('signals', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('score', sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('safeguarding_flags', schema=None) as batch_op:
        batch_op.drop_column('score')
        batch_op.drop_column('signals')
        batch_op.drop_column('model_version')
