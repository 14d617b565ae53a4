"""round 0 (open proposals round), proposals merged/with notes, prefill_answers into Round.settings

Revision ID: r0a1b2c3d4e5
Revises: a9d4e2f17c6b
Create Date: 2026-12-01 11:00:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'r0a1b2c3d4e5'
down_revision = 'a9d4e2f17c6b'
branch_labels = None
depends_on = None

OLD_ROUND_KINDS = ('delphi', 'ahp')
NEW_ROUND_KINDS = ('delphi', 'ahp', 'proposals')
OLD_PROPOSAL_KINDS = ('add', 'merge', 'drop', 'reword')
NEW_PROPOSAL_KINDS = OLD_PROPOSAL_KINDS + ('comment',)
OLD_PROPOSAL_STATUS = ('pending', 'accepted', 'rejected')
NEW_PROPOSAL_STATUS = OLD_PROPOSAL_STATUS + ('merged',)


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def _move_prefill_into_settings(bind):
    rows = bind.execute(sa.text("SELECT id, settings, prefill_answers FROM round")).all()
    for round_id, settings, prefill in rows:
        data = json.loads(settings) if settings else {}
        data["prefill_answers"] = bool(prefill)
        bind.execute(sa.text("UPDATE round SET settings = :s WHERE id = :id"),
                     {"s": json.dumps(data, ensure_ascii=False, sort_keys=True), "id": round_id})


def _move_prefill_out_of_settings(bind):
    rows = bind.execute(sa.text("SELECT id, settings FROM round")).all()
    for round_id, settings in rows:
        data = json.loads(settings) if settings else {}
        prefill = bool(data.pop("prefill_answers", True))
        bind.execute(sa.text("UPDATE round SET settings = :s, prefill_answers = :p WHERE id = :id"),
                     {"s": json.dumps(data, ensure_ascii=False, sort_keys=True), "p": prefill, "id": round_id})


def upgrade():
    bind = op.get_bind()
    _move_prefill_into_settings(bind)
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_round_number_positive'), type_='check')
        batch_op.alter_column('kind', existing_type=_enum(OLD_ROUND_KINDS, 'round_kind'),
                              type_=_enum(NEW_ROUND_KINDS, 'round_kind'), existing_nullable=False)
        batch_op.create_check_constraint(
            'number_by_kind', "(kind = 'proposals' AND number = 0) OR (kind <> 'proposals' AND number >= 1)")
        batch_op.drop_column('prefill_answers')

    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('decision_note', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_proposal_merged_into_id_proposal'), 'proposal',
                                    ['merged_into_id'], ['id'], ondelete='SET NULL')
        batch_op.alter_column('kind', existing_type=_enum(OLD_PROPOSAL_KINDS, 'proposal_kind'),
                              type_=_enum(NEW_PROPOSAL_KINDS, 'proposal_kind'), existing_nullable=False)
        batch_op.alter_column('status', existing_type=_enum(OLD_PROPOSAL_STATUS, 'proposal_status'),
                              type_=_enum(NEW_PROPOSAL_STATUS, 'proposal_status'), existing_nullable=False)


def downgrade():
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM round WHERE kind = 'proposals'"))
    bind.execute(sa.text("DELETE FROM proposal WHERE kind = 'comment'"))
    bind.execute(sa.text("UPDATE proposal SET status = 'rejected' WHERE status = 'merged'"))
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=_enum(NEW_PROPOSAL_STATUS, 'proposal_status'),
                              type_=_enum(OLD_PROPOSAL_STATUS, 'proposal_status'), existing_nullable=False)
        batch_op.alter_column('kind', existing_type=_enum(NEW_PROPOSAL_KINDS, 'proposal_kind'),
                              type_=_enum(OLD_PROPOSAL_KINDS, 'proposal_kind'), existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_proposal_merged_into_id_proposal'), type_='foreignkey')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('decision_note')
        batch_op.drop_column('description')

    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prefill_answers', sa.Boolean(), server_default='1', nullable=False))
        batch_op.drop_constraint(op.f('ck_round_number_by_kind'), type_='check')
        batch_op.alter_column('kind', existing_type=_enum(NEW_ROUND_KINDS, 'round_kind'),
                              type_=_enum(OLD_ROUND_KINDS, 'round_kind'), existing_nullable=False)
        batch_op.create_check_constraint('number_positive', 'number >= 1')
    _move_prefill_out_of_settings(bind)
