"""g1bwm: weight_answer (an expert's G1 order and ratios or BWM best/worst comparisons per block)

Revision ID: e9f1b3d5a7c1
Revises: c70c90232d28
Create Date: 2026-12-01 08:55:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e9f1b3d5a7c1'
down_revision = 'c70c90232d28'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'weight_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('parent_node_id', sa.Integer(), nullable=False),
        sa.Column('node_id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('rank', sa.Integer(), nullable=True),
        sa.Column('ratio', sa.Float(), nullable=True),
        sa.Column('role', sa.String(length=8), nullable=True),
        sa.Column('best_to', sa.Integer(), nullable=True),
        sa.Column('to_worst', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("method IN ('g1', 'bwm')", name=op.f('ck_weight_answer_method')),
        sa.CheckConstraint('ratio IS NULL OR (ratio >= 1 AND ratio <= 1.8)', name=op.f('ck_weight_answer_g1_scale')),
        sa.CheckConstraint('best_to IS NULL OR (best_to >= 1 AND best_to <= 9)',
                           name=op.f('ck_weight_answer_best_to_scale')),
        sa.CheckConstraint('to_worst IS NULL OR (to_worst >= 1 AND to_worst <= 9)',
                           name=op.f('ck_weight_answer_to_worst_scale')),
        sa.ForeignKeyConstraint(['node_id'], ['node.id'], name=op.f('fk_weight_answer_node_id_node'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['parent_node_id'], ['node.id'], name=op.f('fk_weight_answer_parent_node_id_node'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_weight_answer_response_id_response'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_weight_answer')),
        sa.UniqueConstraint('response_id', 'parent_node_id', 'node_id',
                            name=op.f('uq_weight_answer_response_id_parent_node_id_node_id')),
    )
    with op.batch_alter_table('weight_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weight_answer_response_id'), ['response_id'], unique=False)


def downgrade():
    with op.batch_alter_table('weight_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weight_answer_response_id'))
    op.drop_table('weight_answer')
