"""Sync over HTTP: phones push mutation batches, pull the scoped change feed, see conflicts."""
