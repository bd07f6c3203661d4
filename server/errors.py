"""Domain errors: raised by services, rendered by the web layer as a translated message."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. `message` is an English message id; the handler translates it."""

    status_code = 400

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class StateConflict(DomainError):
    """The request clashes with the current state of what it names (409). Not a sync field
    conflict (`sync.merge.Conflict`), which is kept for a person to settle."""

    status_code = 409
