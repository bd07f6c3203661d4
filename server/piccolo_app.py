"""The one Piccolo app: every table of every domain, and the top-level migrations folder."""

from piccolo.conf.apps import AppConfig

from server.audit.tables import AuditEvent
from server.auth.tables import DeviceSession, LoginAttempt
from server.callups.tables import Callup, CallupEvent, CallupTarget, CapFeedSeen, EarlyWarning
from server.directory.tables import Area, Department, DutySlot, Person, Place, Post
from server.evacuation.tables import (
    DangerZone,
    EvacEvent,
    EvacRow,
    Evacuation,
    Household,
    Resident,
    Shelter,
)
from server.hazards.tables import (
    Hazard,
    HazardCategory,
    HazardChase,
    HazardEvent,
    HazardNotice,
    HazardTally,
)
from server.notify.tables import (
    Delivery,
    DeliveryLadder,
    GatewayLog,
    Message,
    PushSubscription,
)
from server.ops.tables import WorkerBeat
from server.patrols.tables import (
    CheckIn,
    Checkpoint,
    Patrol,
    PatrolMiss,
    PatrolPlan,
    TrackPoint,
)
from server.settings import ROOT
from server.tipoffs.tables import BlockEntry, Reward, RewardRule, TipOff, TipOffEvent
from sync.tables import (
    SyncAlert,
    SyncChange,
    SyncConflict,
    SyncDevice,
    SyncHistory,
    SyncMutation,
    SyncRecord,
)

# In dependency order: a table comes after the tables it references.
TABLES = [
    AuditEvent,
    Area,
    Place,
    Person,
    Department,
    Post,
    DutySlot,
    DeviceSession,
    LoginAttempt,
    SyncMutation,
    SyncRecord,
    SyncChange,
    SyncHistory,
    SyncConflict,
    SyncDevice,
    SyncAlert,
    HazardCategory,
    Hazard,
    HazardEvent,
    HazardNotice,
    HazardChase,
    HazardTally,
    PushSubscription,
    Message,
    Delivery,
    GatewayLog,
    DeliveryLadder,
    EarlyWarning,
    CapFeedSeen,
    Callup,
    CallupTarget,
    CallupEvent,
    PatrolPlan,
    Checkpoint,
    Patrol,
    TrackPoint,
    CheckIn,
    PatrolMiss,
    TipOff,
    TipOffEvent,
    RewardRule,
    Reward,
    BlockEntry,
    WorkerBeat,
    DangerZone,
    Household,
    Resident,
    Shelter,
    Evacuation,
    EvacRow,
    EvacEvent,
]

APP_CONFIG = AppConfig(
    app_name="gridwatch",
    migrations_folder_path=str(ROOT / "migrations"),
    table_classes=TABLES,
)
