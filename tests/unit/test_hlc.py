"""Hybrid logical clocks: order, string form, tick/receive, clamping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.hlc import HLC, MAX_AHEAD_MS, clamp, receive, tick, trusted_time

walls = st.integers(min_value=0, max_value=9_999_999_999_999)
clocks = st.builds(HLC, walls, st.integers(0, 99_999), st.sampled_from(["a", "b", "phone-1"]))


@given(clocks, clocks)
def test_string_form_sorts_like_the_clock(a: HLC, b: HLC) -> None:
    assert (str(a) < str(b)) == (a < b)
    assert HLC.parse(str(a)) == a


@given(clocks, walls)
def test_tick_moves_forward(local: HLC, now: int) -> None:
    assert tick(local, now) > local


@given(clocks, clocks, walls)
def test_receive_is_after_both(local: HLC, remote: HLC, now: int) -> None:
    after = receive(local, remote, now)
    assert after > local and (after.wall, after.counter) > (remote.wall, remote.counter)
    assert after.wall >= now and after.node == local.node


@pytest.mark.parametrize(
    ("wall", "now", "expected_wall", "skew"),
    [
        (1_000, 1_000, 1_000, 0),
        (1_000 + MAX_AHEAD_MS, 1_000, 1_000 + MAX_AHEAD_MS, 0),
        (1_000 + MAX_AHEAD_MS + 1, 1_000, 1_000, MAX_AHEAD_MS + 1),
        (1_000 + 365 * 86_400_000, 1_000, 1_000, 365 * 86_400_000),
        (0, 1_000, 0, 0),  # behind is not clamped: it simply loses later-writer contests
    ],
)
def test_clamp(wall: int, now: int, expected_wall: int, skew: int) -> None:
    clamped, removed = clamp(HLC(wall, 3, "p"), now)
    assert (clamped.wall, clamped.counter, removed) == (expected_wall, 3, skew)


@pytest.mark.parametrize("text", ["", "1-2-3", "00000000000a1-00000-x", "0000000000001-00000-"])
def test_parse_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        HLC.parse(text)


_ISSUED = datetime(2026, 7, 21, 6, 0, tzinfo=UTC)
_RECEIVED = datetime(2026, 7, 21, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        (None, _RECEIVED),  # no phone time: the receipt
        (
            int(datetime(2026, 7, 21, 6, 5, tzinfo=UTC).timestamp() * 1000),
            datetime(2026, 7, 21, 6, 5, tzinfo=UTC),
        ),  # believable: kept
        (int(datetime(2025, 7, 21, tzinfo=UTC).timestamp() * 1000), _ISSUED),  # a year slow
        (int(datetime(2027, 7, 21, tzinfo=UTC).timestamp() * 1000), _RECEIVED),  # a year fast
        (10**20, _RECEIVED),  # nonsense
    ],
)
def test_trusted_time(phone: int | None, expected: datetime) -> None:
    assert trusted_time(phone, _ISSUED, _RECEIVED) == expected
