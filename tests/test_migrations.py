"""The migrations and the models agree, on both engines, and the newest ones go down and up
again (a deploy that must be rolled back loses no table)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from kiosk.cli import DEMO_CATALOG
from kiosk.domain import catalog, dossiers
from kiosk.domain.accounts import create_user
from kiosk.domain.catalog import import_catalog
from kiosk.models import Base, Dossier
from kiosk.storage import alembic_config, migrate

SITE = "000.00.01.H29"


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


def test_dossiers_received_before_units_get_theirs(db_url: str) -> None:
    """0012: a dossier received when every dossier counted under the center is given the unit
    the rule decides at receipt now; one whose unit was already set keeps it."""
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            assert import_catalog(s, DEMO_CATALOG.read_bytes(), DEMO_CATALOG.name).ok
            proc = catalog.get_procedure(s, "1.004222")
            assert proc is not None
            home = {"commune_code": "21583", "detail": ""}
            citizen = dossiers.Applicant("Nguyễn Thị Hồng Nhung", "064185001234", address=home)
            officer = create_user(s, "canbo", "mat-khau-dai-1", "officer")
            at = {"channel": "direct", "site_code": SITE, "actor": officer}
            old = dossiers.receive(s, proc, citizen, **at).dossier  # type: ignore[arg-type]
            kept = dossiers.receive(s, proc, citizen, unit="STP", **at).dossier  # type: ignore[arg-type]
            ids = old.id, kept.id
        command.downgrade(alembic_config(db_url), "0011")
        with engine.begin() as conn:
            conn.execute(text("update dossier set unit = site_code where id = :id"), {"id": ids[0]})
        migrate(db_url)
        with Session(engine) as s:
            units = {row.id: row.unit for row in s.execute(select(Dossier.id, Dossier.unit))}
        assert units == {ids[0]: "21583", ids[1]: "STP"}
    finally:
        engine.dispose()
