"""The bottom tab bar of each role: the four or five places a person goes all day, under the
thumb. Everything else is on the home (今日) or one tap from it."""

from __future__ import annotations

from dataclasses import dataclass

from server.auth.access import BUREAU
from server.auth.service import Viewer
from server.directory.kinds import FLOOD_POSTS, PostKind
from server.i18n import N_, gettext


@dataclass(frozen=True)
class Tab:
    href: str
    icon: str
    label: str
    #: the paths this tab is the current one for (the longest match wins)
    under: tuple[str, ...]

    @property
    def text(self) -> str:
        return gettext(self.label)


HOME = Tab("/", "⌂", N_("Home"), ())
HAZARDS = Tab("/hazards", "⚠", N_("Hazards"), ("/hazards", "/sync"))
WALKS = Tab("/patrols", "⚑", N_("Patrol"), ("/patrols",))
PLANS = Tab("/patrols/plans", "⚑", N_("Patrol"), ("/patrols",))
INBOX = Tab("/inbox", "✉", N_("Inbox"), ("/inbox",))
TIPOFFS = Tab("/tipoffs", "✎", N_("Tip-offs"), ("/tipoffs",))
CALLUPS = Tab(
    "/callups", "☎", N_("Call-ups"), ("/callups", "/warnings", "/evacuations", "/shelters")
)
FIGURES = Tab("/hazards/figures", "▤", N_("Figures"), ("/hazards/figures", "/tipoffs/figures"))
PLACES = Tab("/places", "▦", N_("Places"), ("/places", "/p/", "/areas"))
PEOPLE = Tab("/people", "☺", N_("People"), ("/people",))
ADMIN = Tab("/admin", "⚙", N_("Admin"), ("/admin",))
ME = Tab("/me", "☰", N_("Me"), ("/me",))
# a resident has no account: report, follow, or log in (a member of staff)
REPORT = Tab("/tipoffs/new", "✎", N_("Report it"), ("/tipoffs/new",))
FOLLOW = Tab("/tipoffs/track", "⌕", N_("Track it"), ("/tipoffs/track", "/t/"))
LOGIN = Tab("/login", "➜", N_("Log in"), ("/login",))


#: the village's and town's own people: they look after places and report what they find
VILLAGE_ROLES = frozenset(
    {
        PostKind.grid_leader,
        PostKind.village_committee,
        PostKind.disaster_informant,
        PostKind.safety_officer,
    }
)


def tabs_for(viewer: Viewer | None) -> list[Tab]:
    """The tab bar of the person's foremost role (an admin's, a duty officer's, a station's,
    a grid member's, a flood-duty post's), or a resident's without an account."""
    if viewer is None:
        return [HOME, REPORT, FOLLOW, LOGIN]
    kinds = viewer.kinds
    if PostKind.admin in kinds:
        return [HOME, HAZARDS, PEOPLE, ADMIN, ME]
    if kinds & BUREAU:
        return [HOME, CALLUPS, HAZARDS, FIGURES, ME]
    if PostKind.duty_officer in kinds:
        return [HOME, CALLUPS, HAZARDS, INBOX, ME]
    if PostKind.station_staff in kinds:
        return [HOME, HAZARDS, TIPOFFS, PLANS, ME]
    if PostKind.grid_member in kinds:
        return [HOME, HAZARDS, WALKS, INBOX, ME]
    if kinds & (FLOOD_POSTS | VILLAGE_ROLES):
        return [HOME, PLACES, HAZARDS, INBOX, ME]
    return [HOME, HAZARDS, INBOX, ME]


def current(tabs: list[Tab], path: str) -> Tab | None:
    """The tab a page belongs to: the one whose path is the longest prefix of the page's."""
    if path == "/":
        return tabs[0]
    best: tuple[int, Tab | None] = (0, None)
    for tab in tabs:
        for prefix in tab.under:
            if path.startswith(prefix) and len(prefix) > best[0]:
                best = (len(prefix), tab)
    return best[1]
