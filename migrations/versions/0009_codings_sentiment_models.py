"""coding by analysts and versioned learned sentiment models

Revision ID: 0009
Revises: 0005
Create Date: 2026-11-29 17:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('codings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sentiment', sa.String(length=10), nullable=True),
    sa.Column('themes', sa.JSON(), nullable=True),
    sa.Column('coder', sa.String(length=254), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('coded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], name=op.f('fk_codings_answer_id_answers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_codings'))
    )
    with op.batch_alter_table('codings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_codings_answer_id'), ['answer_id'], unique=False)

    op.create_table('sentiment_model_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('model', sa.LargeBinary(), nullable=False),
    sa.Column('evaluation', sa.JSON(), nullable=False),
    sa.Column('n_development', sa.Integer(), nullable=False),
    sa.Column('n_coded', sa.Integer(), nullable=False),
    sa.Column('in_use', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sentiment_model_versions')),
    sa.UniqueConstraint('version', name=op.f('uq_sentiment_model_versions_version'))
    )


def downgrade() -> None:
    op.drop_table('sentiment_model_versions')
    with op.batch_alter_table('codings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_codings_answer_id'))
    op.drop_table('codings')
