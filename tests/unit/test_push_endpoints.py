"""Push endpoints the worker may POST to (issue 14, finding 4): the allow-list judged on the
parsed URL, by a table of the tricks that passed the old prefix check."""

from __future__ import annotations

import pytest

from server.notify.endpoints import DEFAULT_PUSH_HOSTS, allowed
from server.settings import settings_from

TESTS = (*DEFAULT_PUSH_HOSTS, "http://127.0.0.1")


@pytest.mark.parametrize(
    ("endpoint", "ok"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc:def", True),
        ("https://updates.push.services.mozilla.com/wpush/v2/gAAA", True),
        ("https://web.push.apple.com/QGx1", True),
        ("https://db5p.notify.windows.com/w/?token=x", True),
        ("http://127.0.0.1:8123/push/s1", True),  # the test push service, allowed in tests
        # what the prefix check let through
        ("https://evil.example.com/", False),
        ("https://169.254.169.254/latest/meta-data/", False),
        ("http://localhost@127.0.0.1:6379/", False),
        ("http://127.0.0.1.evil.example/", False),
        ("http://localhost:5432/", False),
        ("https://fcm.googleapis.com@10.0.0.1/", False),
        ("https://fcm.googleapis.com.evil.example/x", False),
        ("https://evilfcm.googleapis.com/x", False),
        ("https://fcm.googleapis.com:8443/x", False),
        ("https://x.push.apple.com\\@10.0.0.1/", False),
        ("http://fcm.googleapis.com/x", False),  # only https to a real push service
        ("ftp://fcm.googleapis.com/x", False),
        ("https://fcm.googleapis.com/\x00", False),
        ("https://fcm。googleapis.com/x", False),
        ("https://[::1]/x", False),
        ("", False),
        ("https://fcm.googleapis.com:99999/x", False),
    ],
)
def test_only_push_services_on_the_list(endpoint: str, ok: bool) -> None:
    assert allowed(endpoint, TESTS) is ok


def test_production_refuses_the_test_service() -> None:
    assert not allowed("http://127.0.0.1:8123/push/s1", DEFAULT_PUSH_HOSTS)


@pytest.mark.parametrize("bad", ["http://10.0.0.1/x", "a@b.com", "host:80", " "])
def test_push_hosts_setting_is_checked(bad: str) -> None:
    with pytest.raises(ValueError, match="PUSH_HOSTS"):
        settings_from({"PUSH_HOSTS": bad, "SECRET_KEY": "k"})
