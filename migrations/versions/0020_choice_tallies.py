"""closed questions at scale: choice tallies and their mark

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 05:00:00

``choice_tallies`` starts empty with ``tally_state.choices_below`` at 0: the pages count
every closed answer live, as before, until the next sweep, ``analyse`` or rebuild moves the
mark up (``feedback_app.choice_tallies.advance_choice_mark``).
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tally_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('choices_below', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('choices_candidate', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('choices_xmax', sa.BigInteger(), nullable=True))
    op.create_table('choice_tallies',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=80), nullable=False),
    sa.Column('agency', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('first_response', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('round_id', 'question_key', 'agency', 'value', name=op.f('pk_choice_tallies'))
    )


def downgrade() -> None:
    op.drop_table('choice_tallies')
    with op.batch_alter_table('tally_state', schema=None) as batch_op:
        batch_op.drop_column('choices_xmax')
        batch_op.drop_column('choices_candidate')
        batch_op.drop_column('choices_below')
