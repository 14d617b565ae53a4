"""tidy: study analysis options (min_paired, min_feedback_respondents), frozen onto rounds at open

Revision ID: a9d4e2f17c6b
Revises: c3536a577274
Create Date: 2026-12-01 11:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9d4e2f17c6b'
down_revision = 'c3536a577274'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('study', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_paired', sa.Integer(), server_default='6', nullable=False))
        batch_op.add_column(sa.Column('min_feedback_respondents', sa.Integer(), server_default='3',
                                      nullable=False))
        batch_op.create_check_constraint('min_paired', 'min_paired >= 2 AND min_paired <= 100')
        batch_op.create_check_constraint('min_feedback_respondents',
                                         'min_feedback_respondents >= 2 AND min_feedback_respondents <= 100')


def downgrade():
    with op.batch_alter_table('study', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_study_min_feedback_respondents'), type_='check')
        batch_op.drop_constraint(op.f('ck_study_min_paired'), type_='check')
        batch_op.drop_column('min_feedback_respondents')
        batch_op.drop_column('min_paired')
