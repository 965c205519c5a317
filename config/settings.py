"""One `Settings` object: defaults < YAML file < environment (`GRIDWATCH_*`).

The YAML file is named by `--config` on the command line or by `GRIDWATCH_CONFIG`.
Secrets are `SecretStr` and URLs that may carry a password are masked in `repr`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from config.redact import redact_url

# ../shared/data/clips beside the checkout (the project's parent folder).
SHARED_CLIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "clips"
CONFIG_ENV = "GRIDWATCH_CONFIG"
# Settings files shipped beside this module (case rules, SLA, calendar).
CONFIG_FOLDER = Path(__file__).resolve().parent


class Settings(BaseSettings):
    """Everything gridwatch can be told. Each field is `GRIDWATCH_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="GRIDWATCH_", extra="forbid", frozen=True)
    yaml_file: ClassVar[Path | None] = None

    data_dir: Path = Field(
        default=Path("data"),
        description="Folder for the SQLite database, the event spool and evidence snapshots.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL. Empty: a SQLite file `gridwatch.sqlite` under data_dir.",
    )
    mqtt_url: SecretStr | None = Field(
        default=None,
        description="mqtt://[user:pass@]host:port. Empty: an embedded broker started in-process.",
    )
    mqtt_protocol: str = Field(
        default="3.1.1",
        description="MQTT protocol version: 3.1.1 (amqtt, Mosquitto) or 5 (shared subscriptions).",
    )
    topic_prefix: str = Field(default="gridwatch", min_length=1, pattern=r"^[^#+/]+$")
    worker_id: str = Field(
        # Stable across restarts: it names the event spool, so a restarted worker finds
        # and replays what it had not delivered, and continues its `seq`.
        default_factory=lambda: os.uname().nodename,
        pattern=r"^[A-Za-z0-9._-]{1,100}$",
        description="Names this worker in events, probe leases and its spool file; "
        "give each worker on one machine its own.",
    )
    probe_interval_s: float = Field(default=60.0, gt=0, le=86_400)
    probe_timeout_s: float = Field(default=10.0, gt=0, le=600)
    offline_after_failures: int = Field(default=3, ge=1, le=100)
    probe_backoff_max_s: float = Field(default=300.0, gt=0)
    max_concurrent_probes: int = Field(default=512, ge=1, le=20_000)
    http_per_host: int = Field(
        default=4, ge=1, le=1000, description="Connections per camera host (an NVR is one host)."
    )
    per_uplink: int = Field(
        default=8, ge=1, le=1000, description="Probes at once through one uplink NVR or switch."
    )
    worker_processes: int = Field(
        default=0,
        ge=0,
        le=256,
        description="Worker processes `gridwatch ingest` runs on this machine, sharing the "
        "fleet through leases (0: one per CPU core).",
    )
    lease_ttl_s: float = Field(
        default=30.0,
        ge=3,
        le=3600,
        description="How long a worker's shard leases last: a worker that dies is replaced "
        "within about two of these (it renews every third of it).",
    )
    analysis_threads: int = Field(
        default=0, ge=0, le=64, description="Threads for health analysis; 0: on the event loop."
    )
    analysis_processes: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Processes per worker that decode and analyse snapshots "
        "(0: in the worker itself).",
    )
    motion_watch_max: int = Field(
        default=32,
        ge=0,
        le=5000,
        description="Key-site cameras per worker whose sub-stream is kept open for motion.",
    )
    evidence_keep_per_camera: int = Field(
        default=20,
        ge=0,
        le=10_000,
        description="Evidence kept per camera under data_dir/evidence: each health.fault's "
        "judged picture and the last good one before it; the oldest go first (0: none kept).",
    )
    evidence_hold_max_mb: int = Field(
        default=256,
        ge=0,
        le=65_536,
        description="Memory per worker process for the cameras' last good pictures (their own "
        "JPEGs, held until a fault needs one as its 'before'). Beyond it, cameras not yet "
        "holding one get none, and their faults' evidence has no 'before' picture.",
    )
    evidence_max_age_s: float = Field(
        default=30 * 86_400.0,
        gt=0,
        le=3_650 * 86_400.0,
        description="Evidence older than this is deleted (when a camera's evidence is "
        "written, and hourly for every camera).",
    )
    clips_dir: Path | None = Field(
        default=None,
        description="Video clips for the simulator's pictures (default: ../shared/data/clips "
        "beside the checkout; synthetic scenes when there are none).",
    )
    # Case workflow (alerts/cases): rules, SLA and calendar files, working hours, verification.
    case_rules_file: Path = Field(
        default=CONFIG_FOLDER / "case_rules.yaml",
        description="Which alerts open a case and which department each case is routed to.",
    )
    case_sla_file: Path = Field(
        default=CONFIG_FOLDER / "sla.yaml",
        description="Working time allowed per case stage by priority, category and district level.",
    )
    case_calendar_file: Path = Field(
        default=CONFIG_FOLDER / "calendar.yaml",
        description="Holidays and adjusted working days per year; overrides chinese-calendar.",
    )
    case_work_hours: str = Field(
        default="08:30-12:00,13:30-17:30",
        pattern=r"^\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*(,\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*)*$",
        description="Daily working-hours windows in which case deadlines count.",
    )
    case_verify_minutes: float = Field(
        default=30.0,
        gt=0,
        le=10_080,
        description="Minutes a camera-fault alert must stay resolved before its case closes.",
    )
    case_verify_grace_minutes: float = Field(
        default=10.0,
        ge=0,
        le=1440,
        description="Minutes after a handler resolves a camera case before a still-firing "
        "alert sends it back to in progress (the next probe must see the fix first).",
    )
    case_recurrence_days: int = Field(
        default=7,
        ge=0,
        le=365,
        description="A closed case whose alert fires again within this many days is reopened.",
    )
    # --- alerts (the alert service, `gridwatch alerts`) ---
    alerts_consumer_id: str = Field(
        default_factory=lambda: os.uname().nodename,
        pattern=r"^[A-Za-z0-9._-]{1,100}$",
        description="Names this alert consumer's persistent MQTT session; one per process.",
    )
    alerts_share_group: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="Shared-subscription group ($share/<group>/…, MQTT 5) so several "
        "`gridwatch alerts` split the stream; empty: a plain subscription (amqtt).",
    )
    alerts_batch_size: int = Field(
        default=500, ge=1, le=20_000, description="Events per database commit, at most."
    )
    alerts_batch_wait_s: float = Field(
        default=0.05, gt=0, le=10, description="Longest wait to fill a batch before committing."
    )
    alerts_tick_s: float = Field(
        default=1.0, gt=0, le=60, description="How often groups, holds and expiries are evaluated."
    )
    alerts_hold_s: float = Field(
        default=120.0,
        ge=0,
        le=3600,
        description="A camera offline alert stays pending this long so its storm group forms "
        "first; cover K probes x interval of the ingest workers.",
    )
    alerts_group_hold_s: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="A new group alert is held this long, so a township group inhibits the "
        "uplink groups inside it before either shows.",
    )
    alerts_group_window_s: float = Field(
        default=300.0, gt=0, le=86_400, description="Offline starts counted towards a new group."
    )
    alerts_group_min_count: int = Field(
        default=5, ge=2, le=100_000, description="Cameras down before a district/uplink groups."
    )
    alerts_group_min_share: float = Field(
        default=0.2, gt=0, le=1, description="Share of a district's/uplink's cameras down to group."
    )
    alerts_group_clear_share: float = Field(
        default=0.1, gt=0, le=1, description="A group resolves below this share (hysteresis)."
    )
    alerts_group_district_level: int = Field(
        default=3, ge=1, le=8, description="District level grouped on (3: township)."
    )
    alerts_flap_window_s: float = Field(default=600.0, gt=0, le=86_400)
    alerts_flap_changes: int = Field(
        default=6, ge=2, le=1000, description="State changes within the flap window = flapping."
    )
    alerts_recurrence_window_s: float = Field(
        default=3600.0, ge=0, le=30 * 86_400, description="A recurrence within it links back."
    )
    alerts_no_worker_hold_s: float = Field(
        default=60.0,
        ge=0,
        le=86_400,
        description="Every known ingest worker offline this long raises `no_live_worker` "
        "(no camera is probed); a restart under systemd comes back well within it.",
    )
    alerts_gap_grace_s: float = Field(
        default=5.0, ge=0, le=600, description="A missing seq not filled by then is a gap."
    )
    alerts_max_clock_skew_s: float = Field(
        default=60.0,
        gt=0,
        le=86_400,
        description="An event (or retained status) stamped further ahead of the consumer's "
        "clock is dead-lettered as `clock_skew` (status: ignored): state only moves forward "
        "in event time, so a far-future time would pin it.",
    )
    alerts_priorities_file: Path = Field(
        default=Path(__file__).resolve().parent / "alert_priorities.yaml",
        description="YAML priority rules (camera use, kind, time of day, duration, cameras).",
    )
    alerts_arming_file: Path | None = Field(
        default=None, description="YAML intrusion arming schedules (布防); empty: none armed."
    )
    alerts_receivers_file: Path | None = Field(
        default=None, description="YAML webhook receivers with matchers; empty: none."
    )
    # --- api (issue 17): web service, auth, scope, secrets at rest ---
    api_host: str = Field(default="127.0.0.1", description="Address `gridwatch api` binds to.")
    api_port: int = Field(default=8080, ge=1, le=65_535, description="Port of `gridwatch api`.")
    access_token_ttl_s: int = Field(
        default=900, ge=30, le=86_400, description="Lifetime of a JWT access token (seconds)."
    )
    refresh_token_ttl_s: int = Field(
        default=14 * 86_400,
        ge=300,
        le=365 * 86_400,
        description="Lifetime of a refresh token; each use rotates it (seconds).",
    )
    login_max_failures: int = Field(
        default=5, ge=1, le=100, description="Failed logins in a row before the account locks."
    )
    login_lockout_s: int = Field(
        default=900, ge=1, le=86_400, description="How long a locked account stays locked."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs access tokens (HS256, at least 32 characters). Empty: a random key "
        "in `api_signing.key` under data_dir, created on first use with mode 0600.",
    )
    credentials_key: SecretStr | None = Field(
        default=None,
        description="Fernet key(s) encrypting camera passwords, newest first, comma-separated. "
        "Empty: `credentials.key` under data_dir, created on first use with mode 0600.",
    )
    command_center_tz: str = Field(
        default="Asia/Shanghai",
        description="The command center's time zone: its calendar days ('today' in online "
        "rates), working hours of case deadlines, armed and priority hours of alerts, and "
        "every date the console shows.",
    )
    snapshot_min_interval_s: float = Field(
        default=2.0,
        ge=0,
        le=3600,
        description="Least time between two snapshots fetched through the API for one camera.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed by CORS (empty: CORS off, same-origin only).",
    )
    changefeed_retention_s: int = Field(
        default=86_400,
        ge=60,
        le=90 * 86_400,
        description="How long pushed changes are kept for clients resuming a WebSocket.",
    )
    # --- console and live view (issue 18) ---
    live_max_viewers_per_camera: int = Field(
        default=8, ge=1, le=100, description="Live (WebRTC) viewers of one camera at once."
    )
    live_max_viewers: int = Field(
        default=32,
        ge=1,
        le=1000,
        description="Live viewers on this API process at once (each costs one video encode).",
    )
    live_linger_s: float = Field(
        default=10.0,
        ge=0,
        le=600,
        description="How long a camera's stream stays open after its last live viewer left "
        "(a page reload re-joins it without reconnecting to the camera).",
    )
    live_connect_timeout_s: float = Field(
        default=20.0,
        ge=1,
        le=300,
        description="A live viewer whose WebRTC connection is not up within this is dropped.",
    )
    live_open_timeout_s: float = Field(
        default=8.0,
        ge=1,
        le=120,
        description="Longest wait for a camera's first frame when its stream is opened.",
    )
    live_ice_servers: list[str] = Field(
        default_factory=list,
        description="STUN/TURN URLs for live view, given to the server and the browser "
        "(empty: direct connections only, as on a command center's LAN).",
    )
    # --- alerts and cases together (alerts/case_work.py) ---
    alerts_case_tick_s: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description="How often `gridwatch alerts` opens the cases whose wait is over, checks "
        "verified closures and raises supervision cards.",
    )
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    log_json: bool = Field(default=False, description="JSON lines on stderr instead of text.")

    @field_validator("command_center_tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name like Asia/Shanghai"
            ) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Earlier sources win: init kwargs, then the environment, then the YAML file.
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.yaml_file is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=cls.yaml_file))
        return tuple(sources)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url is not None and self.database_url.get_secret_value():
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'gridwatch.sqlite').as_posix()}"

    @property
    def resolved_clips_dir(self) -> Path | None:
        """The clips folder to use: the configured one, else the shared one when present."""
        if self.clips_dir is not None:
            return self.clips_dir
        return SHARED_CLIPS if SHARED_CLIPS.is_dir() else None

    @property
    def resolved_mqtt_url(self) -> str | None:
        if self.mqtt_url is not None and self.mqtt_url.get_secret_value():
            return self.mqtt_url.get_secret_value()
        return None

    def describe(self) -> dict[str, str]:
        """Human-readable effective settings with every secret masked."""
        return {
            "data_dir": str(self.data_dir),
            "database_url": redact_url(self.resolved_database_url),
            "mqtt_url": redact_url(self.resolved_mqtt_url or "embedded"),
            "topic_prefix": self.topic_prefix,
            "worker_id": self.worker_id,
            "probe_interval_s": str(self.probe_interval_s),
        }


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, an optional YAML file, the environment and overrides."""
    path = config_file or os.environ.get(CONFIG_ENV) or None
    yaml_path = Path(path) if path else None
    if yaml_path is not None and not yaml_path.is_file():
        raise FileNotFoundError(
            f"config file {yaml_path} does not exist ({CONFIG_ENV} or --config)"
        )

    class _FromFile(Settings):
        yaml_file: ClassVar[Path | None] = yaml_path

    loaded = _FromFile(**overrides)
    return Settings.model_construct(**dict(loaded))


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    """Process-wide settings for entry points; library code receives settings as an argument."""
    return load_settings()
