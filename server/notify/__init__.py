"""Notifications: web push (VAPID), an SMS/voice gateway adapter, a durable delivery outbox."""
