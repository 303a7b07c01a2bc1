"""casualty charts without a join: each casualty carries its incident's event columns,
each incident the sums of its linked casualties; covering indexes to match

The casualty index now holds the copied event columns instead of the incident id; the
two indexes that served the join (`ix_records_dash_incident`) and the per-incident sums
(`ix_records_dash_link`) go. Existing rows get the new columns filled by `tawthiq setup`,
which rebuilds the cache after this migration (app/migrate.py REBUILD_RECORDS_AFTER).

Revision ID: 0008_dash_denorm
Revises: 0007_dashboard
Create Date: 2026-11-26 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_dash_denorm'
down_revision = '0007_dashboard'
branch_labels = None
depends_on = None

CASUALTY_0007 = ['team_id', 'kind', 'visible', 'outcome', 'incident_id', 'occurred_start', 'occurred_end', 'place_path', 'verification_status', 'civilian_status', 'sex', 'age_group', 'cause', 'count', 'has_conflicts']
CASUALTY_0008 = ['team_id', 'kind', 'visible', 'outcome', 'verification_status', 'event_start', 'event_end', 'event_place_path', 'event_verification_status', 'civilian_status', 'sex', 'age_group', 'cause', 'count', 'has_conflicts']
OTHER_0007 = ['team_id', 'kind', 'visible', 'verification_status', 'occurred_start', 'occurred_end', 'place_path', 'has_conflicts', 'created_origin', 'id', 'killed_min', 'killed_max', 'injured_min', 'injured_max', 'needs_review']
OTHER_0008 = [*OTHER_0007, 'linked_killed', 'linked_injured']


def upgrade() -> None:
    op.add_column('records', sa.Column('event_start', sa.String(length=10), nullable=True))
    op.add_column('records', sa.Column('event_end', sa.String(length=10), nullable=True))
    op.add_column('records', sa.Column('event_place_path', sa.String(length=400), nullable=True))
    op.add_column('records', sa.Column('event_verification_status', sa.String(length=30), nullable=True))
    op.add_column('records', sa.Column('linked_killed', sa.Integer(), server_default='0', nullable=False))
    op.add_column('records', sa.Column('linked_injured', sa.Integer(), server_default='0', nullable=False))
    op.drop_index('ix_records_dash_incident', table_name='records')
    op.drop_index('ix_records_dash_link', table_name='records')
    op.drop_index('ix_records_dash_casualty', table_name='records')
    op.create_index('ix_records_dash_casualty', 'records', CASUALTY_0008, unique=False)
    op.drop_index('ix_records_dash_other', table_name='records')
    op.create_index('ix_records_dash_other', 'records', OTHER_0008, unique=False)


def downgrade() -> None:
    op.drop_index('ix_records_dash_other', table_name='records')
    op.create_index('ix_records_dash_other', 'records', OTHER_0007, unique=False)
    op.drop_index('ix_records_dash_casualty', table_name='records')
    op.create_index('ix_records_dash_casualty', 'records', CASUALTY_0007, unique=False)
    op.create_index('ix_records_dash_link', 'records', ['incident_id', 'team_id', 'kind', 'visible', 'verification_status', 'outcome', 'count'], unique=False)
    op.create_index('ix_records_dash_incident', 'records', ['id', 'kind', 'team_id', 'visible', 'verification_status', 'occurred_start', 'occurred_end', 'place_path'], unique=False)
    op.drop_column('records', 'linked_injured')
    op.drop_column('records', 'linked_killed')
    op.drop_column('records', 'event_verification_status')
    op.drop_column('records', 'event_place_path')
    op.drop_column('records', 'event_end')
    op.drop_column('records', 'event_start')
