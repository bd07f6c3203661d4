"""The catalogs: every message in the code is translated to Chinese; language negotiation."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir

from server import i18n
from server.settings import ROOT


def extracted_ids() -> set[str]:
    method_map = [("server/**.py", "python"), ("pwa/templates/**.html", "jinja2")]
    options = {"pwa/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    ids: set[str] = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map=method_map, options_map=options, keywords=keywords
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_every_message_has_a_chinese_translation() -> None:
    ids = extracted_ids()
    assert len(ids) > 20, "extraction found the templates and the code"
    zh = i18n.catalog("zh_Hans")
    missing = sorted(m for m in ids if m not in zh.singular and m not in zh.plural)
    assert missing == [], f"run `make messages` and translate: {missing}"


def test_every_translation_formats_with_its_message_names() -> None:
    """Templates format every message (newstyle gettext): a stray % in a translation, or a
    name the English does not have, would break the page."""
    zh = i18n.catalog("zh_Hans")
    broken = []
    for message_id, text in zh.singular.items():
        names = dict.fromkeys(re.findall(r"%\((\w+)\)s", message_id), "x")
        try:
            text % names
        except (KeyError, ValueError, TypeError) as exc:
            broken.append(f"{message_id!r} -> {text!r}: {exc}")
    assert broken == []


def test_chinese_is_the_default() -> None:
    assert i18n.gettext("Home") == "首页"


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        (None, None, "zh_Hans"),
        ("en", "zh-CN", "en"),
        ("zh_Hans", "en-US", "zh_Hans"),
        (None, "en-GB,en;q=0.8", "en"),
        (None, "zh-TW,zh;q=0.9", "zh_Hans"),
        (None, "fr-FR,en;q=0.5", "en"),
        ("klingon", "de", "zh_Hans"),
    ],
)
def test_negotiate(cookie: str | None, accept: str | None, expected: str) -> None:
    assert i18n.negotiate(cookie, accept, "zh_Hans") == expected


def test_gettext_formats_named_params() -> None:
    assert i18n.gettext("%(n)s left", n=3) == "3 left"
