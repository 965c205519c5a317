import logging
from pathlib import Path

import pytest

from config.logging import ScrubbingFilter, scrub
from config.redact import redact_url, split_credentials
from config.settings import load_settings


def test_defaults_then_yaml_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GRIDWATCH_TOPIC_PREFIX", "GRIDWATCH_PROBE_INTERVAL_S", "GRIDWATCH_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert load_settings().topic_prefix == "gridwatch"
    config = tmp_path / "gridwatch.yaml"
    config.write_text("topic_prefix: league\nprobe_interval_s: 30\n", encoding="utf-8")
    from_file = load_settings(config)
    assert (from_file.topic_prefix, from_file.probe_interval_s) == ("league", 30.0)
    monkeypatch.setenv("GRIDWATCH_TOPIC_PREFIX", "banner")
    both = load_settings(config)
    assert (both.topic_prefix, both.probe_interval_s) == ("banner", 30.0)


def test_config_file_from_environment_and_unknown_keys_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("topic_prefx: typo\n", encoding="utf-8")
    monkeypatch.setenv("GRIDWATCH_CONFIG", str(config))
    with pytest.raises(ValueError, match="topic_prefx"):
        load_settings()
    monkeypatch.setenv("GRIDWATCH_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(FileNotFoundError, match=r"missing\.yaml"):
        load_settings()


def test_default_database_is_sqlite_under_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRIDWATCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("GRIDWATCH_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.resolved_database_url == f"sqlite:///{tmp_path}/gridwatch.sqlite"
    assert settings.resolved_mqtt_url is None


def test_secrets_never_show_in_repr_or_describe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDWATCH_DATABASE_URL", "postgresql://gw:pg-Secret@db:5432/gw")
    monkeypatch.setenv("GRIDWATCH_MQTT_URL", "mqtt://gw:mq-Secret@broker:1883")
    settings = load_settings()
    for text in (repr(settings), str(settings), str(settings.describe())):
        assert "pg-Secret" not in text
        assert "mq-Secret" not in text
    assert settings.describe()["database_url"] == "postgresql://***@db:5432/gw"
    assert settings.resolved_database_url.endswith("pg-Secret@db:5432/gw")


def test_invalid_values_are_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDWATCH_PROBE_INTERVAL_S", "-5")
    with pytest.raises(ValueError, match="probe_interval_s"):
        load_settings()


@pytest.mark.parametrize(
    ("url", "bare", "user", "password"),
    [
        ("rtsp://admin:p%40ss@10.1.2.3:554/ch1", "rtsp://10.1.2.3:554/ch1", "admin", "p@ss"),
        ("http://10.1.2.3/snap.jpg", "http://10.1.2.3/snap.jpg", None, None),
        ("rtsp://[fe80::1]:554/x", "rtsp://[fe80::1]:554/x", None, None),
    ],
)
def test_split_credentials(url: str, bare: str, user: str | None, password: str | None) -> None:
    assert split_credentials(url) == (bare, user, password)


def test_redact_and_scrub_remove_passwords() -> None:
    assert redact_url("rtsp://admin:pw@cam:554/a") == "rtsp://***@cam:554/a"
    line = "open rtsp://admin:pw123@10.0.0.1/a failed; password=pw123 token: abc"
    cleaned = scrub(line)
    assert "pw123" not in cleaned
    assert "abc" not in cleaned
    assert "10.0.0.1/a" in cleaned


def test_log_records_are_scrubbed_before_any_handler(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("gridwatch.test")
    logger.addFilter(ScrubbingFilter())
    with caplog.at_level(logging.INFO):
        logger.info("probing %s", "http://u:topsecret@cam/snap.jpg")
    assert "topsecret" not in caplog.text
    assert "http://***@cam/snap.jpg" in caplog.text


def test_worker_id_is_stable_across_restarts(monkeypatch: pytest.MonkeyPatch) -> None:
    # It names the event spool: a restarted worker must find the one it left.
    monkeypatch.delenv("GRIDWATCH_WORKER_ID", raising=False)
    assert load_settings().worker_id == load_settings().worker_id
    monkeypatch.setenv("GRIDWATCH_WORKER_ID", "bad/id")
    with pytest.raises(ValueError, match="worker_id"):
        load_settings()


def test_clips_come_from_the_setting_then_the_shared_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import config.settings as settings_module

    monkeypatch.delenv("GRIDWATCH_CLIPS_DIR", raising=False)
    shared = tmp_path / "shared" / "data" / "clips"
    monkeypatch.setattr(settings_module, "SHARED_CLIPS", shared)
    assert load_settings().resolved_clips_dir is None  # no shared folder: synthetic scenes
    shared.mkdir(parents=True)
    assert load_settings().resolved_clips_dir == shared
    monkeypatch.setenv("GRIDWATCH_CLIPS_DIR", str(tmp_path / "mine"))
    assert load_settings().resolved_clips_dir == tmp_path / "mine"
