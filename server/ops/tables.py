"""Operations' own table: each worker process says it is alive."""

from piccolo.columns import UUID, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class WorkerBeat(Table):
    """The last time a worker process (host:pid) ran its loop."""

    id = UUID(primary_key=True)
    name = Varchar(length=120, unique=True)
    beat_at = Timestamptz(default=TimestamptzNow())
