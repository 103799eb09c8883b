"""Schemathesis against the regulators' published schema (issue 18, item 7).

Every operation under ``/api/regulator/`` (and the police platform's, under ``/api/police/``) is
called with requests generated from the OpenAPI
schema the WSGI application serves — valid ones, invalid ones, and valid ones naming the rows of
a small world (a filed school, its coach, student and teaching area) so that the operations
reach their real work — as a province regulator over HTTP Basic (the police platform with its
bearer token). Every reply must be no 5xx,
carry a status the operation documents, with the documented content type and a body matching
the documented schema.

The budget is small and the generation derandomized, so every CI run sends the same requests:
a few examples per operation, well under a minute per database. The world is built once for all
operations (schemathesis's own pytest parametrization would rebuild it per operation, and its
fixture-based loader does not run under pytest 9), so the operations are driven here in a loop,
each through its own Hypothesis test, and every failing operation is reported at the end.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as budget
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jiapei.accounts.models import User
from jiapei.registry.models import TeachingArea
from jiapei.testing import factories as f
from jiapei.testing.fixtures import PASSWORD, School

pytestmark = pytest.mark.usefixtures("fast_passwords")

EXAMPLES = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def regulators_schema() -> Any:
    """The schema as the application publishes it, limited to the regulators' operations and
    the police platform's."""
    from django.core.wsgi import get_wsgi_application

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    return schema.include(path_regex="^/api/(regulator|police)/")


def known_parameters(school: School) -> dict[str, Any]:
    """Path parameters naming rows that exist, by the names the operations give them."""
    area = TeachingArea.objects.get(institution__inscode=school.inscode)
    return {
        "area_id": area.pk,
        "stunum": school.stunum,
        "platnum": "A0041",
        "kind": "coach",
        "number": school.coachnum,
    }


def requests_for(operation: Any, known: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Valid and invalid requests for ``operation``, and valid ones naming the world's rows."""
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    names = {p.name for p in operation.path_parameters}
    if names and names <= set(known):
        fixed = {name: known[name] for name in names}
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed))
    return st.one_of(strategies)


def check(operation: Any, known: dict[str, Any], credentials: dict[str, Any]) -> str | None:
    """Drive ``operation`` through its budget; what went wrong with it, or None."""

    @given(case=requests_for(operation, known))
    @budget(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        # Report the first failing example as generated: shrinking it would cost minutes.
        phases=[Phase.explicit, Phase.generate],
        # The generated bodies are what they are; a slow reply on a busy machine is not a
        # failure of the data either.
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case: Any) -> None:
        case.call_and_validate(checks=CHECKS, **credentials)

    try:
        answers_as_documented()
    except Exception as exc:
        return f"{operation.label}: {exc}"
    return None


def test_every_regulator_operation_answers_as_documented(
    province_regulator: User, school: School, tp: Any, settings: Any
) -> None:
    settings.JIAPEI_POLICE_TOKEN = "police-gateway-token"
    tp.post("region", f.AreaPayload(inscode=school.inscode, seq="1"))
    known = known_parameters(school)
    regulator = {"auth": (province_regulator.username, PASSWORD)}
    police = {"headers": {"Authorization": "Bearer police-gateway-token"}}
    operations = [result.ok() for result in regulators_schema().get_all_operations()]
    assert len(operations) >= 50
    assert any(o.path.startswith("/api/police/") for o in operations)

    failures = [
        check(operation, known, police if operation.path.startswith("/api/police/") else regulator)
        for operation in operations
    ]
    assert not any(failures), "\n\n".join(filter(None, failures))
