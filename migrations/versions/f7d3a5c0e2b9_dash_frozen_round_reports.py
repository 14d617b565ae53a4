"""dash: frozen reports of closed Delphi rounds (round_report)

Revision ID: f7d3a5c0e2b9
Revises: 5bdefda6001a
Create Date: 2026-12-01 11:10:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f7d3a5c0e2b9'
down_revision = '5bdefda6001a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'round_report',
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('answers', sa.Text(), nullable=False),
        sa.Column('feedback', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_round_report_round_id_round'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('round_id', name=op.f('pk_round_report')),
    )


def downgrade():
    op.drop_table('round_report')
