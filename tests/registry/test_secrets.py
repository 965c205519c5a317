"""Camera passwords at rest: encrypted in the table, sealed when found plain, key rotation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from typer.testing import CliRunner

from cli.main import app as cli_app
from config.settings import Settings
from ingest.fleet.targets import load_targets
from registry.db import SessionFactory, make_engine, make_session_factory, transaction
from registry.importer import import_cameras, import_districts
from registry.models import Camera, CameraCredential
from registry.records import read_records
from registry.secrets import (
    CredentialCipher,
    CredentialKeyError,
    credential_cipher,
    key_file,
    seal_plain_credentials,
)
from tests.registry.factories import DISTRICTS, camera, write_csv

SECRET = "Pa55-w0rd-of-cam"


def _league(db: SessionFactory, tmp_path: Path) -> None:
    import_districts(db, read_records(write_csv(tmp_path / "d.csv", DISTRICTS), "districts"))
    rows = [camera("cam-1", username="admin", password=SECRET), camera("cam-2")]
    import_cameras(db, read_records(write_csv(tmp_path / "c.csv", rows), "cameras"))


def _dump(db: SessionFactory) -> str:
    """Every cell of camera_credentials as text: what a database dump would show."""
    with db() as session:
        rows = session.execute(text("SELECT * FROM camera_credentials")).all()
    return repr(rows)


def test_the_table_holds_ciphertext_and_the_worker_reads_the_password(
    db: SessionFactory, tmp_path: Path
) -> None:
    _league(db, tmp_path)
    dump = _dump(db)
    assert "cam-1" in dump
    assert SECRET not in dump
    targets = load_targets(db)
    credentials = targets["cam-1"].credentials
    assert credentials is not None
    assert credentials.password.get_secret_value() == SECRET
    assert targets["cam-2"].credentials is None


def test_plain_rows_from_before_the_upgrade_are_sealed(db: SessionFactory) -> None:
    with transaction(db) as session:
        session.execute(text("INSERT INTO districts (code, name, level, path) "
                             "VALUES ('150400', 'x', 1, '150400/')"))  # fmt: skip
        session.execute(
            insert(Camera).values(
                id="old-1",
                name="old",
                district_code="150400",
                snapshot_url="http://10.0.0.1/s.jpg",
                use="public_security",
                tags=[],
                enabled=True,
            )
        )
        session.execute(
            insert(CameraCredential).values(camera_id="old-1", username="u", password=SECRET)
        )
    assert SECRET in _dump(db)
    # Readable before sealing, so a worker keeps working across the upgrade.
    assert load_targets(db)["old-1"].credentials is not None
    assert seal_plain_credentials(db) == 1
    assert SECRET not in _dump(db)
    assert seal_plain_credentials(db) == 0
    sealed = load_targets(db)["old-1"].credentials
    assert sealed is not None
    assert sealed.password.get_secret_value() == SECRET


def test_a_wrong_key_is_a_clear_error_not_garbage(db: SessionFactory, tmp_path: Path) -> None:
    _league(db, tmp_path)
    engine = db.kw["bind"]
    stranger = make_session_factory(engine, CredentialCipher.generate())
    with pytest.raises(CredentialKeyError, match="does not decrypt"):
        load_targets(stranger)


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = credential_cipher(settings)
    mode = stat.S_IMODE(key_file(settings).stat().st_mode)
    assert mode == 0o600
    token = first.encrypt(SECRET)
    assert credential_cipher(settings).decrypt(token) == SECRET


def test_rotate_key_re_encrypts_everything_under_a_new_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"GRIDWATCH_DATA_DIR": str(data), "GRIDWATCH_DATABASE_URL": ""}
    runner = CliRunner()
    districts = write_csv(tmp_path / "d.csv", DISTRICTS)
    cams = write_csv(tmp_path / "c.csv", [camera("cam-1", username="admin", password=SECRET)])
    for kind, path in (("districts", districts), ("cameras", cams)):
        result = runner.invoke(cli_app, ["import", kind, str(path)], env=env)
        assert result.exit_code == 0, result.output
    settings = Settings(data_dir=data)
    old_key = key_file(settings).read_bytes()
    rotated = runner.invoke(cli_app, ["credentials", "rotate-key"], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert "1 camera passwords re-encrypted" in rotated.output
    new_key = key_file(settings).read_bytes()
    assert new_key != old_key
    assert len(new_key.strip().splitlines()) == 1  # the old key is retired
    engine = make_engine(settings.resolved_database_url)
    old = make_session_factory(engine, CredentialCipher([old_key.strip()]))
    with pytest.raises(CredentialKeyError):
        load_targets(old)
    current = make_session_factory(engine, credential_cipher(settings))
    credentials = load_targets(current)["cam-1"].credentials
    assert credentials is not None
    assert credentials.password.get_secret_value() == SECRET
    engine.dispose()
