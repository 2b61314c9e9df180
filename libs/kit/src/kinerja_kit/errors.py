"""Domain exceptions: what a rule refused, in the domain's words. Pure (no HTTP, no Kafka).

Services' domains raise these; the edges translate them in one place each:
`kinerja_kit.http` into problem details (422 / 403 / 404 / 409), `kinerja_kit.consumer` into a
dead letter carrying the class name and the message."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the change. `field` names the offending input where there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field, self.message = field, message


class InvalidField(DomainError):
    """An input breaks a rule (HTTP 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


class NotPermitted(DomainError):
    """The actor may not do this (HTTP 403)."""


class NotFound(DomainError):
    """The thing does not exist for this actor (HTTP 404)."""


class Conflict(DomainError):
    """The change collides with the current state (HTTP 409)."""


class TransitionRefused(Conflict):
    """A state machine refuses `action` in state `state`."""

    def __init__(self, entity: str, state: str, action: str) -> None:
        super().__init__(f"{entity} is {state}: cannot {action}")
        self.entity, self.state, self.action = entity, str(state), action
