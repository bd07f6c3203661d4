"""The audit trail (全过程留痕): an ordered, append-only record of who did what, when."""
