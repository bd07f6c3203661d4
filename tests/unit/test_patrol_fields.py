"""A check-in's photos as a phone sends them: hashes, at most six, nothing else."""

from __future__ import annotations

import uuid

import pytest

from server.patrols.fields import clean

SHA = "0f" * 32


def checkin(**extra: object) -> dict:
    return {
        "checkins": [
            {
                "id": str(uuid.uuid4()),
                "checkpoint_id": str(uuid.uuid4()),
                "method": "qr",
                "token": "ABC123",
                **extra,
            }
        ]
    }


@pytest.mark.parametrize(
    ("photos", "kept"),
    [
        ([], []),
        ([SHA], [{"id": SHA, "sha256": SHA}]),
        ([{"id": SHA, "sha256": SHA, "extra": "dropped"}], [{"id": SHA, "sha256": SHA}]),
    ],
)
def test_photos_kept_as_references(photos: list, kept: list) -> None:
    assert clean("checkin", checkin(photos=photos))["checkins"][0]["photos"] == kept


@pytest.mark.parametrize(
    ("photos", "message"),
    [
        (["../../etc/passwd"], "A photo reference is damaged."),
        ([{"sha256": "AB" * 32}], "A photo reference is damaged."),
        ([SHA] * 7, "A check-in holds at most 6 photos."),
        ("not a list", "A check-in holds at most 6 photos."),
    ],
)
def test_bad_photos_are_refused_with_a_reason(photos: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        clean("checkin", checkin(photos=photos))
