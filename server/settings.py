"""All configuration: one frozen dataclass read from the environment in one place."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Every variable the app reads, with its default and meaning (the README table is built from it).
#: the browsers' push services: Chrome/Edge on Android and desktop (FCM), Firefox, Safari,
#: the old Edge. An entry is a host, `*.` a host and its subdomains; `http://host` allows
#: plain http to that host on any port (a test push service on 127.0.0.1, never production).
DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com",
    "*.push.services.mozilla.com",
    "*.push.apple.com",
    "*.notify.windows.com",
)

VARIABLES: dict[str, tuple[str, str]] = {
    "DATABASE_URL": ("sqlite:///var/gridwatch.sqlite3", "sqlite:///PATH or postgresql://..."),
    "DATABASE_POOL": ("1", "PostgreSQL: use a connection pool (0 to open one per query)"),
    "DATABASE_POOL_SIZE": (
        "10",
        "PostgreSQL: connections one process's pool may open; all processes together must stay"
        " under the server's max_connections (100 by default)",
    ),
    "SECRET_KEY": ("(generated into var/secret_key)", "signs CSRF tokens and sessions"),
    "MEDIA_DIR": ("var/media", "where photos are stored"),
    "BASE_URL": ("http://127.0.0.1:8000", "public URL; https makes cookies Secure"),
    "TIMEZONE": ("Asia/Shanghai", "timezone used to show dates"),
    "DEFAULT_LANGUAGE": ("zh_Hans", "zh_Hans or en"),
    "VAPID_PRIVATE_KEY_PATH": ("var/vapid_private.pem", "web push private key (PEM)"),
    "VAPID_SUBJECT": ("mailto:ops@localhost", "contact push services may use (mailto: or https:)"),
    "SMS_WEBHOOK_URL": ("", "texts and calls go to this gateway webhook (empty: logged only)"),
    "SMS_WEBHOOK_SECRET": ("", "HMAC key signing requests to and from the gateway"),
    "CHANNELS_URL": ("", "live updates between processes: a postgresql:// URL (empty: in memory)"),
    "MAX_BODY_BYTES": ("16777216", "largest request body accepted"),
    "BODY_IDLE_SECONDS": ("30", "a request body that stops arriving this long is refused (408)"),
    "BODY_TOTAL_SECONDS": ("600", "a request body must be whole within this many seconds (408)"),
    "UPLOAD_QUOTA_MB": ("200", "photo uploads one person may have unfinished at a time"),
    "SHUTDOWN_GRACE_SECONDS": (
        "10",
        "on SIGTERM, work in flight gets this long to finish before it is cut off",
    ),
    "RETENTION_DAYS": (
        "180",
        "finished deliveries, their messages and the gateway log are kept this many days",
    ),
    "S3_ENDPOINT_URL": (
        "",
        "photos in an S3-compatible object store shared by every host (MinIO, Ceph, Aliyun"
        " OSS), e.g. http://minio:9000 (empty: the MEDIA_DIR folder of this host)",
    ),
    "S3_BUCKET": ("gridwatch", "the object store's bucket for photos"),
    "S3_PREFIX": ("", "a prefix for every photo's key in the bucket, e.g. city/"),
    "S3_ACCESS_KEY_ID": ("", "the object store's access key"),
    "S3_SECRET_ACCESS_KEY": ("", "the object store's secret key"),
    "S3_REGION": ("us-east-1", "the object store's region (most S3-compatible stores accept any)"),
    "OFFLINE_FORM_TIMEOUT_MS": ("8000", "a form POST slower than this is kept on the phone"),
    "HAZARD_NEARBY_M": ("100", "open hazards this close are offered before filing a duplicate"),
    "HAZARD_VERIFY_M": ("100", "a major hazard is verified on site within this distance"),
    "HAZARD_REMIND_DAYS": ("3,1", "days before a deadline the assignee is reminded"),
    "CALLUP_WINDOWS": (
        "red=10,orange=20,yellow=30,blue=60",
        "minutes a call-up's targets have to confirm, by level, before escalation",
    ),
    "TIPOFF_DUE_DAYS": (
        "2,30",
        "days a tip-off has to be accepted (受理) and resolved (办结) before it is overdue",
    ),
    "TIPOFF_LIMITS": (
        "ip=10/1h,mobile=5/1d,all=2000/1h",
        "public tip-offs allowed per sender IP, per mobile number and in all, per window"
        " (m, h or d)",
    ),
    "OPEN311_KEYS": (
        "",
        "partner systems that may post Open311 requests: name=key pairs, comma separated"
        " (empty: reading only)",
    ),
    "CAP_KEYS": (
        "",
        "warning systems that may post CAP alerts to /api/cap: name=key pairs, comma"
        " separated, keys of 16+ characters (empty: CAP files are imported by staff only)",
    ),
    "CAP_FEEDS": (
        "",
        "CAP feeds the worker polls (an alert, or an Atom or RSS feed linking to alerts):"
        " name=url pairs, comma separated",
    ),
    "CAP_FEED_SECONDS": ("60", "how often the worker asks each CAP feed (a conditional GET)"),
    "MAP_TILE_URL": (
        "",
        "map tiles for patrol tracks, a Leaflet URL template in WGS-84 such as 天地图's"
        " https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=KEY"
        " (empty: a plain grid with a scale bar)",
    ),
    "MAP_TILE_SUBDOMAINS": ("01234567", "what {s} in MAP_TILE_URL stands for, one character each"),
    "MAP_TILE_ATTRIBUTION": ("", "the tile provider's credit shown on the map, e.g. 天地图"),
    "PUSH_HOSTS": (
        ",".join(DEFAULT_PUSH_HOSTS),
        "push services the worker may send to: hosts, *.domain for its subdomains,"
        " http://host for plain http (tests only)",
    ),
    "TRUSTED_PROXIES": (
        "",
        "reverse proxies whose X-Forwarded-For is believed: addresses or networks, comma"
        " separated (empty: the connection's own address is the client's)",
    ),
    "EMBEDDED_WORKER": ("1", "run the background worker inside the web process"),
    "HOST": ("127.0.0.1", "address `gridwatch serve` binds"),
    "PORT": ("8000", "port `gridwatch serve` binds"),
    "LOG_LEVEL": ("INFO", "logging level"),
}

LANGUAGES = ("zh_Hans", "en")


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/gridwatch.sqlite3"
    database_pool: bool = True
    database_pool_size: int = 10
    secret_key: str = field(default="", repr=False)
    media_dir: Path = ROOT / "var" / "media"
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh_Hans"
    vapid_private_key_path: Path = ROOT / "var" / "vapid_private.pem"
    vapid_subject: str = "mailto:ops@localhost"
    sms_webhook_url: str = ""
    sms_webhook_secret: str = field(default="", repr=False)
    channels_url: str = ""
    max_body_bytes: int = 16 * 1024 * 1024
    body_idle_seconds: float = 30.0
    body_total_seconds: float = 600.0
    #: bytes of unfinished photo uploads one person may hold
    upload_quota: int = 200 * 1024 * 1024
    #: days finished deliveries, their messages and the gateway log are kept
    retention_days: int = 180
    #: on SIGTERM, what a worker or a live stream is doing gets this long to end
    shutdown_grace_seconds: float = 10.0
    #: an S3-compatible object store for photos (empty: the media_dir folder)
    s3_endpoint_url: str = ""
    s3_bucket: str = "gridwatch"
    s3_prefix: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = field(default="", repr=False)
    s3_region: str = "us-east-1"
    offline_form_timeout_ms: int = 8000
    embedded_worker: bool = True
    hazard_nearby_m: float = 100.0
    hazard_verify_m: float = 100.0
    hazard_remind_days: tuple[int, ...] = (3, 1)
    #: (level, minutes) pairs: the default confirmation window of a call-up by level
    callup_windows: tuple[tuple[str, int], ...] = (
        ("red", 10),
        ("orange", 20),
        ("yellow", 30),
        ("blue", 60),
    )
    #: days to 受理 (accept or reject) and to 办结 a tip-off, counted from its receipt
    tipoff_due_days: tuple[int, int] = (2, 30)
    #: (who, count, seconds): ip, mobile and all
    tipoff_limits: tuple[tuple[str, int, int], ...] = (
        ("ip", 10, 3600),
        ("mobile", 5, 86400),
        ("all", 2000, 3600),
    )
    #: Open311 api_key -> the partner's name
    open311_keys: tuple[tuple[str, str], ...] = ()
    cap_keys: tuple[tuple[str, str], ...] = ()
    #: (url, name) of each CAP feed
    cap_feeds: tuple[tuple[str, str], ...] = ()
    cap_feed_seconds: float = 60.0
    map_tile_url: str = ""
    map_tile_subdomains: str = "01234567"
    map_tile_attribution: str = ""
    push_hosts: tuple[str, ...] = DEFAULT_PUSH_HOSTS
    trusted_proxies: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    debug: bool = False

    @property
    def cookies_secure(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else ROOT / path


def _secret_from_file(path: Path) -> str:
    """A development secret kept under var/ so sessions survive restarts."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def _positive(value: str, name: str, most: float = float("inf")) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1
    if not 0 < number <= most:
        raise ValueError(f"{name} must be a positive number up to {most}, not {value!r}")
    return number


def _days(value: str) -> tuple[int, ...]:
    try:
        days = tuple(sorted({int(d) for d in value.split(",") if d.strip()}, reverse=True))
    except ValueError:
        days = ()
    if not days or min(days) < 1:
        raise ValueError(f"HAZARD_REMIND_DAYS must be days like 3,1, not {value!r}")
    return days


def _due_days(value: str) -> tuple[int, int]:
    try:
        accept, resolve = (int(d) for d in value.split(","))
    except ValueError:
        accept = resolve = 0
    if not 1 <= accept <= resolve:
        raise ValueError(
            f"TIPOFF_DUE_DAYS must be two days like 2,30 (accept, resolve), not {value!r}"
        )
    return accept, resolve


def sqlite_path(database_url: str) -> Path:
    """The file behind a sqlite:/// URL; relative paths are taken from the project root."""
    return _path(database_url.removeprefix("sqlite:///"))


def settings_from(env: Mapping[str, str]) -> Settings:
    """Build settings from a mapping shaped like the environment (tests pass their own)."""

    def get(name: str) -> str | None:
        value = env.get(name)
        return value if value not in (None, "") else None

    language = get("DEFAULT_LANGUAGE") or "zh_Hans"
    if language not in LANGUAGES:
        raise ValueError(f"DEFAULT_LANGUAGE must be one of {LANGUAGES}, not {language!r}")
    database_url = get("DATABASE_URL") or Settings.database_url
    if not database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise ValueError("DATABASE_URL must start with sqlite:/// or postgresql://")
    return Settings(
        database_url=database_url,
        database_pool=_flag(get("DATABASE_POOL") or "1"),
        database_pool_size=int(
            _positive(get("DATABASE_POOL_SIZE") or "10", "DATABASE_POOL_SIZE", 500)
        ),
        secret_key=get("SECRET_KEY") or _secret_from_file(ROOT / "var" / "secret_key"),
        media_dir=_path(get("MEDIA_DIR") or "var/media"),
        base_url=(get("BASE_URL") or Settings.base_url).rstrip("/"),
        timezone=get("TIMEZONE") or Settings.timezone,
        default_language=language,
        vapid_private_key_path=_path(get("VAPID_PRIVATE_KEY_PATH") or "var/vapid_private.pem"),
        vapid_subject=get("VAPID_SUBJECT") or Settings.vapid_subject,
        sms_webhook_url=get("SMS_WEBHOOK_URL") or "",
        sms_webhook_secret=get("SMS_WEBHOOK_SECRET") or "",
        channels_url=get("CHANNELS_URL") or "",
        max_body_bytes=int(get("MAX_BODY_BYTES") or Settings.max_body_bytes),
        body_idle_seconds=_positive(get("BODY_IDLE_SECONDS") or "30", "BODY_IDLE_SECONDS", 86400),
        body_total_seconds=_positive(
            get("BODY_TOTAL_SECONDS") or "600", "BODY_TOTAL_SECONDS", 86400
        ),
        upload_quota=int(_positive(get("UPLOAD_QUOTA_MB") or "200", "UPLOAD_QUOTA_MB") * 2**20),
        retention_days=int(_positive(get("RETENTION_DAYS") or "180", "RETENTION_DAYS", 36500)),
        shutdown_grace_seconds=_positive(
            get("SHUTDOWN_GRACE_SECONDS") or "10", "SHUTDOWN_GRACE_SECONDS", 600
        ),
        s3_endpoint_url=get("S3_ENDPOINT_URL") or "",
        s3_bucket=get("S3_BUCKET") or Settings.s3_bucket,
        s3_prefix=get("S3_PREFIX") or "",
        s3_access_key_id=get("S3_ACCESS_KEY_ID") or "",
        s3_secret_access_key=get("S3_SECRET_ACCESS_KEY") or "",
        s3_region=get("S3_REGION") or Settings.s3_region,
        offline_form_timeout_ms=int(
            get("OFFLINE_FORM_TIMEOUT_MS") or Settings.offline_form_timeout_ms
        ),
        embedded_worker=_flag(get("EMBEDDED_WORKER") or "1"),
        hazard_nearby_m=_positive(get("HAZARD_NEARBY_M") or "100", "HAZARD_NEARBY_M"),
        hazard_verify_m=_positive(get("HAZARD_VERIFY_M") or "100", "HAZARD_VERIFY_M"),
        hazard_remind_days=_days(get("HAZARD_REMIND_DAYS") or "3,1"),
        callup_windows=_windows(get("CALLUP_WINDOWS") or VARIABLES["CALLUP_WINDOWS"][0]),
        tipoff_limits=_limits(get("TIPOFF_LIMITS") or VARIABLES["TIPOFF_LIMITS"][0]),
        tipoff_due_days=_due_days(get("TIPOFF_DUE_DAYS") or VARIABLES["TIPOFF_DUE_DAYS"][0]),
        open311_keys=_keys(get("OPEN311_KEYS") or ""),
        cap_keys=_keys(get("CAP_KEYS") or "", "CAP_KEYS"),
        cap_feeds=_feeds(get("CAP_FEEDS") or ""),
        cap_feed_seconds=_positive(get("CAP_FEED_SECONDS") or "60", "CAP_FEED_SECONDS"),
        map_tile_url=_tile_url(get("MAP_TILE_URL") or ""),
        map_tile_subdomains=get("MAP_TILE_SUBDOMAINS") or Settings.map_tile_subdomains,
        map_tile_attribution=get("MAP_TILE_ATTRIBUTION") or "",
        push_hosts=_hosts(get("PUSH_HOSTS") or VARIABLES["PUSH_HOSTS"][0]),
        trusted_proxies=_networks(get("TRUSTED_PROXIES") or ""),
        host=get("HOST") or Settings.host,
        port=int(get("PORT") or Settings.port),
        log_level=get("LOG_LEVEL") or Settings.log_level,
    )


def _limits(value: str) -> tuple[tuple[str, int, int], ...]:
    """ "ip=10/1h,mobile=5/1d,all=2000/1h": each of ip, mobile and all once."""
    units = {"m": 60, "h": 3600, "d": 86400}
    found: dict[str, tuple[int, int]] = {}
    for part in value.split(","):
        who, _, rule = part.strip().partition("=")
        count, _, window = rule.partition("/")
        amount, unit = window[:-1] or "1", window[-1:]
        if who not in ("ip", "mobile", "all") or not count.isdigit() or unit not in units:
            raise ValueError(f"TIPOFF_LIMITS: {part!r} is not who=count/window like ip=10/1h")
        if not amount.isdigit() or int(count) < 1 or int(amount) < 1:
            raise ValueError(f"TIPOFF_LIMITS: {part!r} needs a count and a window of at least 1")
        found[who] = (int(count), int(amount) * units[unit])
    if set(found) != {"ip", "mobile", "all"}:
        raise ValueError("TIPOFF_LIMITS needs ip, mobile and all")
    return tuple((who, *found[who]) for who in ("ip", "mobile", "all"))


def _keys(value: str, variable: str = "OPEN311_KEYS") -> tuple[tuple[str, str], ...]:
    """ "12345=k3y...,wx=..." -> ((key, name), ...); keys of at least 16 characters."""
    pairs = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, _, key = part.partition("=")
        if not name.strip() or len(key.strip()) < 16:
            raise ValueError(f"{variable}: {name!r} needs name=key with a key of 16+ characters")
        pairs.append((key.strip(), name.strip()[:40]))
    return tuple(pairs)


def _feeds(value: str) -> tuple[tuple[str, str], ...]:
    """ "气象台=https://...,自然资源=https://..." -> ((url, name), ...)."""
    feeds = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, _, url = part.partition("=")
        if not name.strip() or not url.strip().startswith(("http://", "https://")):
            raise ValueError(f"CAP_FEEDS: {part!r} needs name=http(s)://url")
        feeds.append((url.strip(), name.strip()[:40]))
    return tuple(feeds)


def _hosts(value: str) -> tuple[str, ...]:
    hosts = tuple(h.strip().lower() for h in value.split(",") if h.strip())
    bad = [h for h in hosts if any(c in h.removeprefix("http://") for c in "/@: ")]
    if bad or not hosts:
        raise ValueError(f"PUSH_HOSTS: {bad or value!r}: hosts, *.domain or http://host")
    return hosts


def _networks(value: str) -> tuple[str, ...]:
    entries = tuple(e.strip() for e in value.split(",") if e.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an address or network") from None
    return entries


def _tile_url(value: str) -> str:
    if value and not (
        value.startswith(("https://", "http://")) and all(k in value for k in ("{x}", "{y}", "{z}"))
    ):
        raise ValueError(
            f"MAP_TILE_URL must be an http(s) URL with {{x}}, {{y}} and {{z}}: {value!r}"
        )
    return value


def _windows(value: str) -> tuple[tuple[str, int], ...]:
    """ "red=10,orange=20,yellow=30,blue=60": every level once, 1 to 1,440 minutes."""
    levels = ("red", "orange", "yellow", "blue")
    found: dict[str, int] = {}
    for part in value.split(","):
        level, _, minutes = part.strip().partition("=")
        if level not in levels or not minutes.strip().isdigit():
            raise ValueError(f"CALLUP_WINDOWS: {part!r} is not level=minutes")
        found[level] = int(minutes)
    if set(found) != set(levels) or not all(1 <= m <= 1440 for m in found.values()):
        raise ValueError("CALLUP_WINDOWS needs red, orange, yellow and blue, 1 to 1440 minutes")
    return tuple((level, found[level]) for level in levels)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return settings_from(os.environ)
