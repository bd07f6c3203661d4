from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T17:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "notify: person_id -> recipient_id where a tip-off's reporter may be the recipient "
    "(push subscriptions, messages, deliveries); tip-offs: RewardRule.first_only (never read)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)
    for table_class_name, tablename in (
        ("PushSubscription", "push_subscription"),
        ("Message", "message"),
        ("Delivery", "delivery"),
    ):
        manager.rename_column(
            table_class_name=table_class_name,
            tablename=tablename,
            old_column_name="person_id",
            new_column_name="recipient_id",
            old_db_column_name="person_id",
            new_db_column_name="recipient_id",
            schema=None,
        )
    manager.drop_column(
        table_class_name="RewardRule",
        tablename="reward_rule",
        column_name="first_only",
        db_column_name="first_only",
        schema=None,
    )
    return manager
