"""Authentication tables: device sessions and login attempts (for throttling)."""

from piccolo.columns import UUID, Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.directory.tables import Person


class DeviceSession(Table):
    """One phone or browser a person logged in on. The cookie holds a token; only its
    SHA-256 is stored, so a copy of the database opens no session."""

    id = UUID(primary_key=True)
    person = ForeignKey(references=Person, index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    #: what the person sees in their device list, e.g. "Android · Chrome"
    label = Varchar(length=80, default="")
    ip = Varchar(length=45, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class LoginAttempt(Table):
    """A failed login, by mobile number and by IP; old rows are pruned by the worker."""

    id = UUID(primary_key=True)
    mobile = Varchar(length=20, index=True)
    ip = Varchar(length=45, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    success = Boolean(default=False)
