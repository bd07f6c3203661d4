"""The closed vocabularies of call-ups, with their Chinese names (through the catalog)."""

from __future__ import annotations

from enum import StrEnum

from server.i18n import N_, gettext


class WarningLevel(StrEnum):
    """The four warning colours; red (I) is the gravest."""

    red = "red"
    orange = "orange"
    yellow = "yellow"
    blue = "blue"

    @property
    def label(self) -> str:
        return gettext(_LEVEL_LABELS[self])


_LEVEL_LABELS = {
    WarningLevel.red: N_("Red (I)"),
    WarningLevel.orange: N_("Orange (II)"),
    WarningLevel.yellow: N_("Yellow (III)"),
    WarningLevel.blue: N_("Blue (IV)"),
}


class HazardType(StrEnum):
    rainstorm = "rainstorm"
    typhoon = "typhoon"
    flood = "flood"
    flash_flood = "flash_flood"
    geohazard = "geohazard"
    forest_fire = "forest_fire"
    thunderstorm = "thunderstorm"
    other = "other"

    @property
    def label(self) -> str:
        return gettext(_TYPE_LABELS[self])


_TYPE_LABELS = {
    HazardType.rainstorm: N_("Rainstorm"),
    HazardType.typhoon: N_("Typhoon"),
    HazardType.flood: N_("Flood"),
    HazardType.flash_flood: N_("Flash flood"),
    HazardType.geohazard: N_("Geological hazard"),
    HazardType.forest_fire: N_("Forest fire danger"),
    HazardType.thunderstorm: N_("Thunderstorm"),
    HazardType.other: N_("Other"),
}


class WarningState(StrEnum):
    active = "active"
    updated = "updated"
    cancelled = "cancelled"
    expired = "expired"

    @property
    def label(self) -> str:
        return gettext(_STATE_LABELS[self])


_STATE_LABELS = {
    WarningState.active: N_("In force"),
    WarningState.updated: N_("Superseded by an update"),
    WarningState.cancelled: N_("Cancelled"),
    WarningState.expired: N_("Expired"),
}


class Answer(StrEnum):
    """What a target says. Any answer stops escalation for that target; 无法到岗 names a
    stand-in, who becomes a target in turn."""

    received = "received"
    on_post = "on_post"
    unable = "unable"

    @property
    def label(self) -> str:
        return gettext(_ANSWER_LABELS[self])


_ANSWER_LABELS = {
    Answer.received: N_("Received"),
    Answer.on_post: N_("On post"),
    Answer.unable: N_("Cannot come"),
}


class Via(StrEnum):
    """How a confirmation reached us."""

    notification = "notification"
    page = "page"
    sms = "sms"
    officer = "officer"

    @property
    def label(self) -> str:
        return gettext(_VIA_LABELS[self])


_VIA_LABELS = {
    Via.notification: N_("from the notification"),
    Via.page: N_("on the page"),
    Via.sms: N_("by text reply"),
    Via.officer: N_("recorded by the duty officer after a call"),
}


class TargetState(StrEnum):
    """Three states never confused: delivered (a channel accepted it), opened (已读),
    confirmed. Only confirmed stops escalation."""

    waiting = "waiting"
    delivered = "delivered"
    opened = "opened"
    confirmed = "confirmed"

    @property
    def label(self) -> str:
        return gettext(_TARGET_LABELS[self])


_TARGET_LABELS = {
    TargetState.waiting: N_("Not yet delivered"),
    TargetState.delivered: N_("Delivered"),
    TargetState.opened: N_("Opened, not confirmed"),
    TargetState.confirmed: N_("Confirmed"),
}
