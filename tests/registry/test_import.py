import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry.db import SessionFactory
from registry.exporter import CAMERA_EXPORT_COLUMNS, camera_records
from registry.exporter import write_csv as export_csv
from registry.importer import ImportFailed, import_cameras, import_districts
from registry.models import Camera, CameraCredential, District
from registry.records import read_records
from registry.secrets import stored_password
from tests.registry.factories import DISTRICTS, camera, write_csv


@pytest.fixture
def districts_file(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "districts.csv", DISTRICTS)


@pytest.fixture
def league(db: SessionFactory, districts_file: Path) -> SessionFactory:
    import_districts(db, read_records(districts_file, "districts"))
    return db


def _count(db: SessionFactory, model: type) -> int:
    with db() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_districts_get_materialized_paths(league: SessionFactory) -> None:
    with league() as session:
        village = session.get(District, "150402001001")
    assert village is not None
    assert village.path == "150400/150402/150402001/150402001001/"
    assert village.level == 4


def test_second_import_of_the_same_files_changes_nothing(
    league: SessionFactory, districts_file: Path, tmp_path: Path
) -> None:
    cams = write_csv(
        tmp_path / "cameras.csv",
        [
            camera("15040201001321000001"),
            camera("15040201001321000002", password="x", username="admin"),
        ],
    )
    first = import_cameras(league, read_records(cams, "cameras"))
    with league() as session:
        stamps = dict(session.execute(select(Camera.id, Camera.updated_at)).all())
    again_districts = import_districts(league, read_records(districts_file, "districts"))
    again = import_cameras(league, read_records(cams, "cameras"))
    assert (first.added, first.updated) == (2, 0)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert (again_districts.added, again_districts.updated, again_districts.unchanged) == (
        0,
        0,
        len(DISTRICTS),
    )
    with league() as session:
        assert dict(session.execute(select(Camera.id, Camera.updated_at)).all()) == stamps


def test_changed_row_is_updated_by_id(league: SessionFactory, tmp_path: Path) -> None:
    import_cameras(
        league, read_records(write_csv(tmp_path / "a.csv", [camera("cam-1")]), "cameras")
    )
    renamed = write_csv(tmp_path / "b.csv", [camera("cam-1", name="north gate", enabled="否")])
    report = import_cameras(league, read_records(renamed, "cameras"))
    assert (report.added, report.updated) == (0, 1)
    with league() as session:
        row = session.get(Camera, "cam-1")
        assert row is not None
        assert (row.name, row.enabled, row.tags) == ("north gate", False, ["gate", "night"])


def test_bad_rows_fail_the_whole_import_with_every_line(
    league: SessionFactory, tmp_path: Path
) -> None:
    rows = [
        camera("15040201001321000001"),
        camera("15040201009991000002"),  # line 3: unknown device type
        camera("cam-ok"),
        camera("cam-bad-district", district="150499"),  # line 5
        camera("cam-bad-lat", lat="91"),  # line 6
        camera("cam-ok"),  # line 7: repeats line 4
    ]
    path = write_csv(tmp_path / "cameras.csv", rows)
    with pytest.raises(ImportFailed) as failure:
        import_cameras(league, read_records(path, "cameras"))
    lines = [error.line for error in failure.value.errors]
    assert lines == [3, 5, 6, 7]
    message = str(failure.value)
    assert "line 3: device code 15040201009991000002: digits 11-13 '999'" in message
    assert "line 5: district 150499 is not in the registry" in message
    assert "line 6: 'lat' must be between -90 and 90" in message
    assert "line 7: id cam-ok repeats line 4" in message
    assert "--skip-invalid" in message
    assert _count(league, Camera) == 0


def test_skip_invalid_imports_the_good_rows_and_reports_the_bad(
    league: SessionFactory, tmp_path: Path
) -> None:
    rows = [camera("cam-1"), camera("cam-2", use="laser"), camera("cam-3")]
    report = import_cameras(
        league, read_records(write_csv(tmp_path / "c.csv", rows), "cameras"), skip_invalid=True
    )
    assert report.added == 2
    assert [(e.line, "'use' 'laser'" in e.reason) for e in report.errors] == [(3, True)]
    assert _count(league, Camera) == 2


def test_camera_district_is_derived_from_its_code(league: SessionFactory, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [camera("15040201001321000009", district="")])
    import_cameras(league, read_records(path, "cameras"))
    with league() as session:
        row = session.get(Camera, "15040201001321000009")
        assert row is not None
        assert (row.district_code, row.device_type) == ("150402", "132")


def test_credentials_are_split_from_urls_and_never_exported(
    league: SessionFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "S3cr3t-pw"
    row = camera("cam-1", main_url=f"rtsp://admin:{secret}@10.0.0.9:554/main")
    caplog.set_level(logging.DEBUG)
    import_cameras(league, read_records(write_csv(tmp_path / "c.csv", [row]), "cameras"))
    with league() as session:
        stored = session.get(Camera, "cam-1")
        credential = session.get(CameraCredential, "cam-1")
        assert stored is not None
        assert credential is not None
        assert stored.main_url == "rtsp://10.0.0.9:554/main"
        assert credential.username == "admin"
        # Encrypted at rest: the table holds a Fernet token, and only the key opens it.
        assert credential.password is None
        assert credential.password_encrypted is not None
        assert secret not in credential.password_encrypted
        assert stored_password(session, credential) == secret
        assert secret not in repr(credential)
        assert secret not in repr(stored)
        import io

        out = io.StringIO()
        export_csv(camera_records(session), CAMERA_EXPORT_COLUMNS, out)
    assert secret not in out.getvalue()
    assert "admin" not in out.getvalue()
    assert secret not in caplog.text


def test_failed_import_does_not_echo_passwords(league: SessionFactory, tmp_path: Path) -> None:
    row = camera("cam-1", main_url="rtsp://admin:hunter2@10.0.0.9:554/main", lat="north")
    with pytest.raises(ImportFailed) as failure:
        import_cameras(league, read_records(write_csv(tmp_path / "c.csv", [row]), "cameras"))
    assert "hunter2" not in str(failure.value)


def test_export_reimports_to_no_change(league: SessionFactory, tmp_path: Path) -> None:
    rows = [camera(f"cam-{i}", lat="42.1", lon="118.9") for i in range(5)]
    import_cameras(league, read_records(write_csv(tmp_path / "c.csv", rows), "cameras"))
    exported = tmp_path / "export.csv"
    with league() as session, exported.open("w", newline="", encoding="utf-8") as handle:
        export_csv(camera_records(session), CAMERA_EXPORT_COLUMNS, handle)
    report = import_cameras(league, read_records(exported, "cameras"))
    assert (report.added, report.updated, report.unchanged) == (0, 0, 5)


def test_yaml_and_json_report_the_line_of_each_bad_record(
    league: SessionFactory, tmp_path: Path
) -> None:
    doc = tmp_path / "cameras.yaml"
    doc.write_text(
        "cameras:\n"
        "  - id: cam-1\n    district_code: '150402001001'\n    snapshot_url: http://h/a.jpg\n"
        "  - id: cam-2\n    district_code: '150402001001'\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as failure:
        import_cameras(league, read_records(doc, "cameras"))
    assert [(e.line, "at least one of" in e.reason) for e in failure.value.errors] == [(5, True)]
    as_json = tmp_path / "cameras.json"
    as_json.write_text(
        json.dumps(
            [{"id": "cam-1", "district_code": "150402001001", "snapshot_url": "http://h/a.jpg"}]
        ),
        encoding="utf-8",
    )
    assert import_cameras(league, read_records(as_json, "cameras")).added == 1


def test_district_cycles_and_orphans_are_rejected(db: SessionFactory, tmp_path: Path) -> None:
    rows = [
        {"code": "150400", "name": "league", "parent_code": ""},
        {"code": "150402", "name": "a", "parent_code": "150403"},
        {"code": "150403", "name": "b", "parent_code": "150402"},
        {"code": "150404", "name": "c", "parent_code": "150499"},
    ]
    with pytest.raises(ImportFailed) as failure:
        import_districts(db, read_records(write_csv(tmp_path / "d.csv", rows), "districts"))
    reasons = {e.line: e.reason for e in failure.value.errors}
    assert set(reasons) == {3, 4, 5}
    assert "cycle" in reasons[3]
    assert "150499" in reasons[5]
    assert _count(db, District) == 0


def test_moving_a_district_rewrites_the_paths_below_it(
    league: SessionFactory, tmp_path: Path
) -> None:
    moved = [{"code": "150402001", "name": "桥北镇", "level": "3", "parent_code": "150404"}]
    report = import_districts(
        league, read_records(write_csv(tmp_path / "m.csv", moved), "districts")
    )
    assert report.updated == 1
    with league() as session:
        village = session.get(District, "150402001001")
        assert village is not None
        assert village.path == "150400/150404/150402001/150402001001/"
