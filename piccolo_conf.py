"""Piccolo's configuration, for its own tooling (`piccolo migrations new gridwatch --auto`).

The app does not rely on DB below: `server.db.activate()` replaces it with the engine the
settings name, so migrations and tables always use the same database.
"""

from piccolo.conf.apps import AppRegistry

from server.db import make_engine
from server.settings import get_settings

DB = make_engine(get_settings().database_url)

APP_REGISTRY = AppRegistry(apps=["server.piccolo_app"])
