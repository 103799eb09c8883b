"""Domain errors with the stable error codes the wire envelope carries.

Services raise these; the API layer turns them into ``{"errorcode", "message", "data"}`` replies.
"""

from __future__ import annotations

from typing import Any


class ErrorCode:
    """Stable numeric codes. 1xxx: caller identity and signature; 2xxx: request content;
    3xxx: permissions; 4xxx: state conflicts."""

    SIGN_PARAMS_MISSING = 1001
    TIMESTAMP_OUT_OF_WINDOW = 1002
    UNKNOWN_CALLER = 1003
    CALLER_NOT_ACTIVE = 1004
    BAD_SIGNATURE = 1005
    SIGNATURE_REUSED = 1006
    REQUEST_IN_PROGRESS = 1007
    BOUND_SIGNATURE_REQUIRED = 1008
    VALIDATION = 2001
    NOT_FOUND = 2002
    MALFORMED_BODY = 2003
    FORBIDDEN = 3001
    NOT_AUTHENTICATED = 3002
    CONFLICT = 4001
    UPSTREAM = 5001
    SERVER_FAULT = 5000


class DomainError(Exception):
    """A refusal the caller can act on. ``field`` names the offending wire field, if one does."""

    code = ErrorCode.VALIDATION
    status = 400

    def __init__(self, message: str, *, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value

    def as_data(self) -> dict[str, Any] | None:
        if self.field is None:
            return None
        return {"errors": [{"field": self.field, "value": self.value, "message": self.message}]}


class FieldError(DomainError):
    """One field's value is unacceptable."""

    def __init__(self, field: str, value: Any, message: str) -> None:
        super().__init__(f"{field}={value!r}: {message}", field=field, value=value)
        self.reason = message

    def as_data(self) -> dict[str, Any]:
        return {"errors": [{"field": self.field, "value": self.value, "message": self.reason}]}


class FieldErrors(DomainError):
    """Several fields are unacceptable; all are reported at once."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors

    def as_data(self) -> dict[str, Any]:
        return {
            "errors": [
                {"field": e.field, "value": e.value, "message": e.reason} for e in self.errors
            ]
        }


class MalformedBody(DomainError):
    """The request body is not what the resource takes (not JSON, or not a JSON object)."""

    code = ErrorCode.MALFORMED_BODY


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND
    status = 404


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN
    status = 403


class NotAuthenticated(DomainError):
    """The caller is not logged in. The API's authenticators answer this before a handler runs;
    it is raised by :mod:`jiapei.accounts.access` for callers that reach it anonymously."""

    code = ErrorCode.NOT_AUTHENTICATED
    status = 401


class Conflict(DomainError):
    code = ErrorCode.CONFLICT
    status = 409


class SignatureRejected(DomainError):
    """The caller could not be authenticated; ``code`` says which check failed."""

    status = 401

    def __init__(self, code: int, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
