"""Login, long-lived device sessions, roles and the access rule every route declares."""
