"""tallies for the comparison page: answer themes, answer and term tallies, their state

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 23:00:00

A database without answers starts with its (empty) tallies built, kept from then on by
every writer. A database with answers gets empty tables marked not built: the analysis
pages read every answer, as before, until ``feedback-app analyse rebuild-tallies`` (or
the worker's next sweep) counts them (feedback_app/tallies.py, README "Tallies").
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

from analysis import ANALYSER_VERSION


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def _place() -> list:
    return [sa.Column('round_id', sa.Integer(), nullable=False),
            sa.Column('question_key', sa.String(length=80), nullable=False),
            sa.Column('agency', sa.String(length=100), nullable=False)]


def upgrade() -> None:
    op.create_table('answer_themes',
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=80), nullable=False),
    *_place(),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], name=op.f('fk_answer_themes_answer_id_answers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('answer_id', 'theme', name=op.f('pk_answer_themes'))
    )
    with op.batch_alter_table('answer_themes', schema=None) as batch_op:
        batch_op.create_index('ix_answer_themes_question', ['question_key', 'round_id', 'theme'], unique=False)
    op.create_table('answer_tallies',
    *_place(),
    sa.Column('theme', sa.String(length=80), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Integer(), nullable=False),
    sa.Column('neutral', sa.Integer(), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.Column('polarity_count', sa.Integer(), nullable=False),
    sa.Column('polarity_sum', sa.Float(), nullable=False),
    sa.Column('polarity_squares', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('round_id', 'question_key', 'agency', 'theme', name=op.f('pk_answer_tallies'))
    )
    op.create_table('term_tallies',
    *_place(),
    sa.Column('kind', sa.String(length=1), nullable=False),
    sa.Column('term', sa.String(length=200), nullable=False),
    sa.Column('form', sa.String(length=200), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('round_id', 'question_key', 'agency', 'kind', 'term', 'form',
                            name=op.f('pk_term_tallies'))
    )
    with op.batch_alter_table('term_tallies', schema=None) as batch_op:
        batch_op.create_index('ix_term_tallies_term', ['question_key', 'kind', 'term', 'round_id', 'agency', 'answers'],
                              unique=False)
    state = op.create_table('tally_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('merged', sa.Text(), nullable=True),
    sa.Column('analyser', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tally_state'))
    )
    empty = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM answers")).scalar() == 0
    op.bulk_insert(state, [{"id": 1, "built_at": datetime.now(timezone.utc) if empty else None,
                            "merged": "{}" if empty else None, "analyser": ANALYSER_VERSION if empty else None}])


def downgrade() -> None:
    op.drop_table('tally_state')
    with op.batch_alter_table('term_tallies', schema=None) as batch_op:
        batch_op.drop_index('ix_term_tallies_term')
    op.drop_table('term_tallies')
    op.drop_table('answer_tallies')
    with op.batch_alter_table('answer_themes', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_themes_question')
    op.drop_table('answer_themes')
