"""the per-link throttle kept on the link's row

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 11:00:00

``share_links.throttle_until_us`` is the link's token bucket (issue 13, round 7): the moment,
in microseconds since the epoch, until which the posts it has taken fill the link's
allowance (``responses.LinkPace``). 0, the default, is an empty bucket. The claim that
stores a response updates it in the same statement, so the post is claimed and throttled in
one ``UPDATE``. The link throttle's old ``throttle_counters`` rows (scope ``link``) are no
longer written; they are pruned with the rest after a day.
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('throttle_until_us', sa.BigInteger(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_column('throttle_until_us')
