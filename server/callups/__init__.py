"""Flood-duty call-ups (防汛叫应): warnings, call-ups, targets, confirmations, escalation."""
