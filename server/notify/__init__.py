"""Notifications: web push (VAPID), an SMS/voice gateway adapter, and a durable delivery
queue (deliveries.py)."""
