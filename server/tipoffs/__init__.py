"""Resident tip-offs (群众举报): the public form, tracking codes, handling, rewards, Open311."""
