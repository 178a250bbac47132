"""The schema is the hand-written migrations: autogenerate must refuse rather than propose dropping tables."""

import pytest
from alembic import command
from alembic.util import CommandError

from gis.db import get_engine
from layers.schema.migrate import alembic_config, current_revision, head_revision


def test_database_is_at_head(database):
    assert current_revision(get_engine()) == head_revision()


def test_autogenerate_refuses(database, tmp_path):
    cfg = alembic_config()
    with get_engine().connect() as conn:
        cfg.attributes["connection"] = conn
        with pytest.raises(CommandError, match="MetaData"):
            command.revision(cfg, message="probe", autogenerate=True, version_path=str(tmp_path))
