"""the comparison page cold at a million answers: feature tallies, version and agency indexes, tally_state marks

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 01:30:00

``feature_tallies`` is filled here from the stored features (one grouped INSERT ... SELECT),
so tallies already built stay built; ``tally_state.analysed_below`` starts at 0 (the
stale count looks at every answer until the next sweep, rebuild or ``analyse`` moves it up).
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tally_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('analysed_below', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('analysed_basis', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('mark_candidate', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('mark_xmax', sa.BigInteger(), nullable=True))
    op.create_table('feature_tallies',
    sa.Column('analyser_version', sa.String(length=20), nullable=False),
    sa.Column('codebook_hash', sa.String(length=64), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=80), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('analyser_version', 'codebook_hash', 'round_id', 'question_key',
                            name=op.f('pk_feature_tallies'))
    )
    op.execute(
        "INSERT INTO feature_tallies (round_id, question_key, analyser_version, codebook_hash, answers) "
        "SELECT r.round_id, a.question_key, f.analyser_version, f.codebook_hash, COUNT(*) "
        "FROM answer_features f JOIN answers a ON a.id = f.answer_id JOIN responses r ON r.id = a.response_id "
        "GROUP BY r.round_id, a.question_key, f.analyser_version, f.codebook_hash")
    with op.batch_alter_table('answer_features', schema=None) as batch_op:
        batch_op.create_index('ix_answer_features_versions', ['analyser_version', 'codebook_hash'], unique=False)
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index('ix_responses_round_agency', ['round_id', 'agency'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_round_agency')
    with op.batch_alter_table('answer_features', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_features_versions')
    op.drop_table('feature_tallies')
    with op.batch_alter_table('tally_state', schema=None) as batch_op:
        batch_op.drop_column('mark_xmax')
        batch_op.drop_column('mark_candidate')
        batch_op.drop_column('analysed_basis')
        batch_op.drop_column('analysed_below')
        batch_op.drop_column('changes')
