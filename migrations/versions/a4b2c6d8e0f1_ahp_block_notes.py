"""ahp: block notes (an expert's reason for keeping a block over the consistency limit)

Revision ID: a4b2c6d8e0f1
Revises: b7e1c9a4f2d0
Create Date: 2026-12-01 07:35:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a4b2c6d8e0f1'
down_revision = 'b7e1c9a4f2d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'block_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('parent_node_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['parent_node_id'], ['node.id'], name=op.f('fk_block_note_parent_node_id_node'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_block_note_response_id_response'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_block_note')),
        sa.UniqueConstraint('response_id', 'parent_node_id', name=op.f('uq_block_note_response_id_parent_node_id')),
    )
    with op.batch_alter_table('block_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_block_note_response_id'), ['response_id'], unique=False)


def downgrade():
    with op.batch_alter_table('block_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_block_note_response_id'))
    op.drop_table('block_note')
