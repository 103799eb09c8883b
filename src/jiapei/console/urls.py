"""The console's pages, one module per topic, each with its own ``urlpatterns``."""

from jiapei.console import areas, dashboard, police_routes, registry, stages

app_name = "console"

urlpatterns = [
    *dashboard.urlpatterns,
    *registry.urlpatterns,
    *areas.urlpatterns,
    *police_routes.urlpatterns,
    *stages.urlpatterns,
]
