"""security: a coordinator's language follows the browser until they pick one

Revision ID: 5ec0a7c1d2e3
Revises: c0ncd1a9b12
Create Date: 2026-12-01 07:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5ec0a7c1d2e3'
down_revision = 'c0ncd1a9b12'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('locale', existing_type=sa.String(length=5), nullable=True)
    # Until now nobody could choose (the default was 'en'): English accounts follow the browser.
    op.execute("UPDATE \"user\" SET locale = NULL WHERE locale = 'en'")


def downgrade():
    op.execute("UPDATE \"user\" SET locale = 'en' WHERE locale IS NULL")
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('locale', existing_type=sa.String(length=5), nullable=False)
