"""The one Piccolo app: every table of every domain, and the top-level migrations folder."""

from piccolo.conf.apps import AppConfig

from server.audit.tables import AuditEvent
from server.settings import ROOT

TABLES = [AuditEvent]

APP_CONFIG = AppConfig(
    app_name="gridwatch",
    migrations_folder_path=str(ROOT / "migrations"),
    table_classes=TABLES,
)
