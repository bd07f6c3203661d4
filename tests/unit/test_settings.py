"""Settings come from the environment with safe defaults, and refuse nonsense clearly."""

from __future__ import annotations

import pytest

from server.settings import ROOT, settings_from, sqlite_path


def test_defaults_are_the_embedded_setup() -> None:
    s = settings_from({"SECRET_KEY": "k"})
    assert s.is_sqlite and s.timezone == "Asia/Shanghai" and s.default_language == "zh_Hans"
    assert s.media_dir == ROOT / "var" / "media"
    assert not s.cookies_secure


def test_environment_overrides() -> None:
    s = settings_from(
        {
            "SECRET_KEY": "k",
            "DATABASE_URL": "postgresql://u@h/db",
            "BASE_URL": "https://x.cn/",
            "EMBEDDED_WORKER": "0",
            "MAX_BODY_BYTES": "1000",
            "MEDIA_DIR": "/srv/media",
            "CALLUP_WINDOWS": "blue=90, red=5,orange=15,yellow=25",
        }
    )
    assert dict(s.callup_windows) == {"red": 5, "orange": 15, "yellow": 25, "blue": 90}
    assert not s.is_sqlite and s.cookies_secure and s.base_url == "https://x.cn"
    assert not s.embedded_worker and s.max_body_bytes == 1000
    assert str(s.media_dir) == "/srv/media"


@pytest.mark.parametrize(
    "env",
    [
        {"DATABASE_URL": "mysql://x"},
        {"DEFAULT_LANGUAGE": "fr"},
        {"PORT": "eighty"},
        {"CALLUP_WINDOWS": "red=10"},  # every level is needed
        {"CALLUP_WINDOWS": "red=0,orange=20,yellow=30,blue=60"},
        {"CALLUP_WINDOWS": "purple=10,orange=20,yellow=30,blue=60"},
    ],
)
def test_bad_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        settings_from({"SECRET_KEY": "k", **env})


def test_sqlite_paths() -> None:
    assert sqlite_path("sqlite:///var/x.sqlite3") == ROOT / "var" / "x.sqlite3"
    assert str(sqlite_path("sqlite:////tmp/x.sqlite3")) == "/tmp/x.sqlite3"
