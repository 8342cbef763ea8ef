"""The migrations and the models agree, on both engines, and the newest ones go down and up
again (a deploy that must be rolled back loses no table)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from kiosk.models import Base
from kiosk.storage import alembic_config, migrate


def test_the_migrated_schema_is_the_models_and_goes_down_and_up(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        command.downgrade(alembic_config(db_url), "0009")
        migrate(db_url)
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()
