"""tidy2 — an evaluator's language (reminders and pages), as experts have

Revision ID: b7e2c4d9a1f3
Revises: f7d3a5c0e2b9
Create Date: 2026-12-01 14:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2c4d9a1f3'
down_revision = 'f7d3a5c0e2b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evaluator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=5), nullable=True))
        batch_op.create_check_constraint('locale', "locale IS NULL OR locale IN ('en', 'zh')")


def downgrade():
    with op.batch_alter_table('evaluator', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_evaluator_locale'), type_='check')
        batch_op.drop_column('locale')
