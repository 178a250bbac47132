"""申请延期: the people in the street may ask for more time (with a reason), which only the office may grant (延期).
The request is an action that keeps the problem where it is: its event, with the reason, is in the timeline the
office reads, and the office then grants (延期, with the new deadline) or not.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ROLES = "ARRAY['subdistrict_staff', 'street_chief', 'grid_worker']"


def upgrade() -> None:
    op.execute(f"""
        INSERT INTO problem_transitions (from_status, to_status, action, allowed_roles, needs_photo, needs_note)
        VALUES ('dispatched', 'dispatched', '申请延期', {ROLES}, false, true),
               ('in_progress', 'in_progress', '申请延期', {ROLES}, false, true)
        ON CONFLICT DO NOTHING;
    """)


def downgrade() -> None:
    op.execute("DELETE FROM problem_transitions WHERE action = '申请延期'")
