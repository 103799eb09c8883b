"""The reply envelope ``{"errorcode", "message", "data"}`` and the API object that uses it.

Every machine reply, success or failure, has this shape (standards.md §2.1). Errors name the
offending field and value in ``message`` and list them in ``data.errors``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext

from jiapei.api import replay
from jiapei.core.errors import DomainError, ErrorCode

logger = logging.getLogger(__name__)


def ok(data: Any = None, message: str = "") -> dict[str, Any]:
    return {"errorcode": 0, "message": message, "data": data}


class JiapeiAPI(NinjaAPI):
    """NinjaAPI whose validation errors keep the rejected value, so replies can name it, and
    which keeps the first answer to a signed write for its identical retries."""

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        replay.remember(request, response)
        return response

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext]
    ) -> ValidationError:
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            source = context.model.__ninja_param_source__
            for item in context.pydantic_validation_error.errors(include_url=False):
                loc = [str(part) for part in item["loc"] if part not in ("payload", "body")]
                errors.append(
                    {
                        "field": ".".join(loc) or source,
                        "value": item.get("input") if item["type"] != "missing" else None,
                        "message": _pydantic_message(item),
                    }
                )
        return ValidationError(errors)


def _pydantic_message(item: Any) -> str:
    kind = item["type"]
    if kind == "missing":
        return "必填字段不能为空 (required)"
    if kind in ("string_type", "int_parsing", "int_type", "float_parsing", "list_type"):
        return f"类型错误 ({item['msg']})"
    return str(item["msg"])


def _safe(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def envelope_error(
    api: NinjaAPI, request: HttpRequest, *, code: int, message: str, status: int, data: Any = None
) -> HttpResponse:
    return api.create_response(
        request, {"errorcode": code, "message": message, "data": data}, status=status
    )


def install_handlers(api: NinjaAPI) -> None:
    """Answer every error raised under ``api`` with the envelope: domain and validation errors
    with their 4xx, malformed or over-size bodies with 2003, anything else with 5000."""
    _install_fault_handlers(api)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return envelope_error(
            api, request, code=exc.code, message=exc.message, status=exc.status, data=exc.as_data()
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [{**e, "value": _safe(e.get("value"))} for e in exc.errors]
        message = "; ".join(f"{e['field']}={e['value']!r}: {e['message']}" for e in errors)
        code = ErrorCode.VALIDATION
        if any(e["field"] == "body" for e in errors):
            code = ErrorCode.MALFORMED_BODY
            message = "请求体不是有效的 JSON 对象 (body must be a JSON object)"
        return envelope_error(
            api, request, code=code, message=message, status=400, data={"errors": errors}
        )

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return envelope_error(
            api,
            request,
            code=ErrorCode.NOT_AUTHENTICATED,
            message=exc.message
            if exc.message != "Unauthorized"
            else "需要登录 (authentication required)",
            status=401,
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        codes = {
            400: ErrorCode.MALFORMED_BODY,
            401: ErrorCode.NOT_AUTHENTICATED,
            403: ErrorCode.FORBIDDEN,
            404: ErrorCode.NOT_FOUND,
        }
        return envelope_error(
            api,
            request,
            code=codes.get(exc.status_code, ErrorCode.VALIDATION),
            message=str(exc),
            status=exc.status_code,
        )


def _install_fault_handlers(api: NinjaAPI) -> None:
    """Bodies Django refuses before the handler runs, and the last resort for our own faults."""

    @api.exception_handler(replay.Replayed)
    def replayed(request: HttpRequest, exc: replay.Replayed) -> HttpResponse:
        return exc.response()

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        from django.conf import settings

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return envelope_error(
            api,
            request,
            code=ErrorCode.MALFORMED_BODY,
            message=f"请求体超过 {limit} 字节 (body larger than {limit} bytes)",
            status=413,
        )

    @api.exception_handler(MultiPartParserError)
    @api.exception_handler(SuspiciousOperation)
    def malformed(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A multipart body Django cannot parse, or with more files or fields than allowed.
        return envelope_error(
            api,
            request,
            code=ErrorCode.MALFORMED_BODY,
            message=f"请求体格式错误 (malformed request body: {type(exc).__name__})",
            status=400,
        )

    @api.exception_handler(Exception)
    def server_fault(request: HttpRequest, exc: Exception) -> HttpResponse:
        # The last resort: bad input is refused with a 4xx before it gets here, so what arrives
        # is a fault of ours. Log it with its traceback; the caller still gets the envelope.
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return envelope_error(
            api,
            request,
            code=ErrorCode.SERVER_FAULT,
            message="服务器内部错误 (internal server error)",
            status=500,
        )
