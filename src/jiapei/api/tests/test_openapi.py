"""The published OpenAPI schema documents every reply a regulators' operation can give."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

ERRORS = {"400", "401", "403", "404", "409", "413", "429"}


@pytest.fixture
def schema(db: Any) -> dict[str, Any]:
    from django.core.wsgi import get_wsgi_application

    transport = httpx.WSGITransport(app=get_wsgi_application())
    with httpx.Client(base_url="http://testserver", transport=transport) as http:
        reply = http.get("/api/openapi.json")
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_every_regulator_operation_documents_its_errors_with_the_envelope(schema: dict[str, Any]):
    operations = [
        (method, path, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/regulator/")
        for method, operation in item.items()
    ]
    assert len(operations) >= 50
    for method, path, operation in operations:
        responses = operation["responses"]
        assert set(responses) >= ERRORS, (method, path, sorted(responses))
        assert "200" in responses, (method, path)
        for status in ERRORS:
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Envelope", (method, path, status, ref)
    envelope = schema["components"]["schemas"]["Envelope"]
    assert {"errorcode", "message", "data"} <= set(envelope["properties"])


def test_the_xlsx_report_documents_a_spreadsheet_not_an_envelope(schema: dict[str, Any]):
    responses = schema["paths"]["/api/regulator/reports/monthly.xlsx"]["get"]["responses"]
    assert list(responses["200"]["content"]) == [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ]


def test_the_police_operations_document_their_errors_with_the_envelope(schema: dict[str, Any]):
    operations = [
        (method, path, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/police/")
        for method, operation in item.items()
    ]
    assert len(operations) == 2
    for method, path, operation in operations:
        responses = operation["responses"]
        assert set(responses) == {"200", "400", "401", "413"}, (method, path, sorted(responses))
        for status, response in responses.items():
            ref = response["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Envelope", (method, path, status, ref)
