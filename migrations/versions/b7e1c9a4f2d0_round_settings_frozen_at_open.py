"""round settings: the analysis settings frozen onto each round when it opens

Revision ID: b7e1c9a4f2d0
Revises: 5ec0a7c1d2e3
Create Date: 2026-12-01 07:40:00

Existing opened rounds get their study's settings as they stand at upgrade time
(the best record there is of what they were analysed with); drafts get {} and
are filled when they open.
"""
import json

import sqlalchemy as sa
from alembic import op

import delphi

# revision identifiers, used by Alembic.
revision = 'b7e1c9a4f2d0'
down_revision = '5ec0a7c1d2e3'
branch_labels = None
depends_on = None


def _frozen(consensus_rule, authority_tables, alpha):
    tables = json.loads(authority_tables) if authority_tables else {}
    return {
        "consensus_rule": json.loads(consensus_rule) if consensus_rule
        else delphi.ConsensusRule.preset("cn-standard").to_dict(),
        "authority_tables": {
            "basis": tables.get("basis") or delphi.DEFAULT_BASIS_TABLE,
            "familiarity": tables.get("familiarity") or delphi.DEFAULT_FAMILIARITY_SCALE,
        },
        "alpha": float(alpha),
    }


def upgrade():
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settings', sa.Text(), server_default='{}', nullable=False))
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT r.id, s.consensus_rule, s.authority_tables, s.stability_alpha "
        "FROM \"round\" AS r JOIN study AS s ON s.id = r.study_id WHERE r.status <> 'draft'")).all()
    for round_id, rule, tables, alpha in rows:
        bind.execute(sa.text("UPDATE \"round\" SET settings = :settings WHERE id = :id"),
                     {"settings": json.dumps(_frozen(rule, tables, alpha), sort_keys=True,
                                             ensure_ascii=False), "id": round_id})


def downgrade():
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_column('settings')
