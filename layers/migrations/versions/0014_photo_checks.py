"""Problem photos say who uploaded them at which step, and carry what the re-inspection checks compare.

- `token_id`: the token that uploaded it (accounts later); counted per token for the upload rate limit, so the
  index leads with it.
- `step` and `event_id`: the problem's status and latest event when it was uploaded. A re-inspection photo must
  have been taken during the re-inspection step itself, not before the rectification was reported.
- `phash`: a 64-bit perceptual hash (DCT hash of the decoded image), signed into a bigint; near-duplicates of an
  earlier photo (the rectification photo re-compressed or resized) are found by Hamming distance.
- `width`, `height`, `taken_at` (the camera's EXIF capture time, when the file had one).

Rows from before carry NULLs there; for them only the sha256 comparison applies.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMNS = """ADD COLUMN token_id integer, ADD COLUMN step text, ADD COLUMN event_id bigint,
             ADD COLUMN phash bigint, ADD COLUMN width integer, ADD COLUMN height integer,
             ADD COLUMN taken_at timestamptz"""


def upgrade() -> None:
    op.execute(f"ALTER TABLE problem_photos {COLUMNS}")
    op.execute("CREATE INDEX problem_photos_token_time ON problem_photos (token_id, created_at) "
               "WHERE token_id IS NOT NULL")
    # Archived months keep the shape of the live table (layers/partitions.py copies rows with SELECT *).
    archived = COLUMNS.replace("ADD COLUMN", "ADD COLUMN IF NOT EXISTS")
    op.execute(f"""
        DO $$
        BEGIN
            IF to_regclass('archive.problem_photos') IS NOT NULL THEN
                EXECUTE 'ALTER TABLE archive.problem_photos {archived}';
            END IF;
        END $$""")


def downgrade() -> None:
    drop = "DROP COLUMN token_id, DROP COLUMN step, DROP COLUMN event_id, DROP COLUMN phash, DROP COLUMN width, " \
           "DROP COLUMN height, DROP COLUMN taken_at"
    op.execute("DROP INDEX IF EXISTS problem_photos_token_time")
    op.execute(f"ALTER TABLE problem_photos {drop}")
    op.execute(f"""
        DO $$
        BEGIN
            IF to_regclass('archive.problem_photos') IS NOT NULL THEN
                EXECUTE 'ALTER TABLE archive.problem_photos {drop.replace("DROP COLUMN", "DROP COLUMN IF EXISTS")}';
            END IF;
        END $$""")
