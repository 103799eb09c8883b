"""URL configuration.

The timing-platform interface sits at the site root (``POST /{resource}?v=&ts=&sign=&user=``,
as standards.md §2.1 writes it); the regulators' API under ``/api/``; the OpenAPI docs at
``/api/docs``; the Django admin (superusers only) at ``/admin/``; the login and language switch
of the web ends under ``/accounts/``, the regulators' console (治理端) under ``/console/``.
"""

from csp.decorators import csp_update
from django.urls import include, path
from django.views.generic import RedirectView

from jiapei import admin
from jiapei.api.alerts import router as alerts_router
from jiapei.api.envelope import JiapeiAPI, install_handlers
from jiapei.api.exams import router as police_router
from jiapei.api.fraud import router as fraud_router
from jiapei.api.regulator import router as regulator_router
from jiapei.api.reports import router as reports_router
from jiapei.api.stages import regulator_router as stages_regulator_router
from jiapei.api.stages import tp_router as stages_tp_router
from jiapei.api.supervision import router as supervision_router
from jiapei.api.tp_registry import router as tp_router
from jiapei.api.tp_registry import upload_router
from jiapei.api.tp_training import batch_router as tp_batch_router
from jiapei.api.tp_training import router as tp_training_router
from jiapei.api.transfers import router as transfers_router
from jiapei.api.workorders import router as workorders_router

api = JiapeiAPI(
    title="jiapei 机动车驾驶培训监管服务平台",
    version="1",
    description=(
        "Timing platforms call `POST /{resource}?v=&ts=&sign=&user=` with a JSON body signed as "
        "in JT/T 1302.2 Annex A (RSA PKCS#1 v1.5 over SHA-256(body ‖ ts)). Regulators use "
        "`/api/regulator/…` with their account. Every reply is `{errorcode, message, data}`."
    ),
    docs_url="/api/docs",
    # Swagger UI's stylesheet draws its icons from data: URIs; its scripts are served from here.
    docs_decorator=csp_update({"img-src": ["data:"]}),
    openapi_url="/api/openapi.json",
    urls_namespace="api",
)
install_handlers(api)
api.add_router("/api/regulator/", regulator_router)
api.add_router("/api/regulator/", stages_regulator_router)
api.add_router("/api/regulator/", fraud_router)
api.add_router("/api/regulator/", workorders_router)
api.add_router("/api/regulator/", supervision_router)
api.add_router("/api/regulator/", reports_router)
api.add_router("/api/regulator/", alerts_router)
api.add_router("/api/regulator/", transfers_router)
api.add_router("/api/police/", police_router)
api.add_router("/", upload_router)
api.add_router("/", tp_router)
api.add_router("/", tp_training_router)
api.add_router("/", tp_batch_router)
api.add_router("/", stages_tp_router)

admin.register_models()

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("jiapei.web.urls")),
    path("console/", include("jiapei.console.urls")),
    # The public site (DESIGN §9) will answer here; until then the root leads to the login.
    path("", RedirectView.as_view(pattern_name="web:home", permanent=False)),
    path("", api.urls),
]
