"""What the routers share: who is calling (a regulator by account, a timing platform by
signature), the paging of lists and the envelope every timing-platform endpoint replies with."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema

from jiapei.accounts import access
from jiapei.accounts.models import User
from jiapei.api import tp_schemas as s
from jiapei.api.envelope import ok
from jiapei.core.actors import Actor
from jiapei.registry.models import TimingPlatform

# The replies of a timing-platform endpoint, for the OpenAPI schema: always the envelope.
ENVELOPE = {
    200: s.Envelope,
    400: s.Envelope,
    401: s.Envelope,
    403: s.Envelope,
    404: s.Envelope,
    409: s.Envelope,
    502: s.Envelope,
}

# The replies of a regulators' operation: the envelope, for every status it can answer (413: a
# body over DATA_UPLOAD_MAX_MEMORY_SIZE; 429: a login locked out after too many failures).
REGULATOR_ERRORS = {
    400: s.Envelope,
    401: s.Envelope,
    403: s.Envelope,
    404: s.Envelope,
    409: s.Envelope,
    413: s.Envelope,
    429: s.Envelope,
}
REGULATOR = {200: s.Envelope, **REGULATOR_ERRORS}

# The replies of an endpoint the police platform calls: the envelope, for a refused field (400),
# a wrong or missing token (401) and an over-size body (413). The police gateway's token is not
# a login, so there is no lockout; an unknown student is an answer ("filed": false), not a 404.
POLICE = {200: s.Envelope, 400: s.Envelope, 401: s.Envelope, 413: s.Envelope}


def regulator_of(request: HttpRequest) -> tuple[User, Actor]:
    """The regulator an account-authenticated request comes from, and their actor."""
    user = access.regulator(request.auth)  # type: ignore[attr-defined]
    return user, Actor.for_user(user)


def platform_of(request: HttpRequest) -> tuple[TimingPlatform, Actor]:
    """The timing platform a signed request comes from, and its actor."""
    platform: TimingPlatform = request.auth  # type: ignore[attr-defined]
    return platform, Actor.for_platform(platform)


def data_of(payload: Any) -> dict[str, Any]:
    """A wire payload's fields as the services read them: the ones the caller sent."""
    return payload.model_dump(exclude_none=True)


# Far beyond any list's length, and far below the 2^63 a database's OFFSET holds.
MAX_OFFSET = 10_000_000


class Page(Schema):
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def paged(qs: Any, page: Page, view: Any) -> dict[str, Any]:
    """One page of ``qs``, each row shown by ``view``, with the total, in the envelope."""
    total = qs.count()
    rows = [view(r) for r in qs[page.offset : page.offset + page.limit]]
    return ok({"total": total, "items": rows})
