"""publish: weight-set withdrawals, experts used, API access and conclusions of a study

Revision ID: c0ncd1a9b12
Revises: 74eb59cd4f8c
Create Date: 2026-12-01 07:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0ncd1a9b12'
down_revision = '74eb59cd4f8c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'weight_set_withdrawal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('weight_set_id', sa.Integer(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=False),
        sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['weight_set_id'], ['weight_set.id'],
                                name=op.f('fk_weight_set_withdrawal_weight_set_id_weight_set'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['withdrawn_by_id'], ['user.id'],
                                name=op.f('fk_weight_set_withdrawal_withdrawn_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_weight_set_withdrawal')),
        sa.UniqueConstraint('weight_set_id', name=op.f('uq_weight_set_withdrawal_weight_set_id')),
    )
    with op.batch_alter_table('weight_set', schema=None) as batch_op:
        batch_op.add_column(sa.Column('experts_used', sa.Text(), nullable=True))

    with op.batch_alter_table('study', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_public', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('api_key_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('api_key_issued_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('conclusions', sa.Text(), server_default='', nullable=False))
        batch_op.create_unique_constraint(op.f('uq_study_api_key_hash'), ['api_key_hash'])


def downgrade():
    with op.batch_alter_table('study', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_study_api_key_hash'), type_='unique')
        batch_op.drop_column('conclusions')
        batch_op.drop_column('api_key_issued_at')
        batch_op.drop_column('api_key_hash')
        batch_op.drop_column('api_public')

    with op.batch_alter_table('weight_set', schema=None) as batch_op:
        batch_op.drop_column('experts_used')

    op.drop_table('weight_set_withdrawal')
