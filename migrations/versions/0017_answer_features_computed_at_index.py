"""index answer_features.computed_at and responses.excluded (the comparison page cache's fingerprint)

Revision ID: 0017
Revises: 0009
Create Date: 2026-11-29 20:45:00
"""
from alembic import op


revision = '0017'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('answer_features', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_features_computed_at'), ['computed_at'], unique=False)
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index('ix_responses_excluded', ['excluded'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_excluded')
    with op.batch_alter_table('answer_features', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_features_computed_at'))
