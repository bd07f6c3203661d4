"""Tip-off tests run with a partner system allowed to post Open311 requests."""

from __future__ import annotations

from dataclasses import replace

import pytest

from server.settings import Settings

PARTNER_KEY = "hotline-12345-test-key"
PARTNER = "12345热线"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, open311_keys=((PARTNER_KEY, PARTNER),))
