"""The console's pages, one module per topic, each with its own ``urlpatterns``."""

from jiapei.console import dashboard, registry, trail

app_name = "console"

urlpatterns = [
    *dashboard.urlpatterns,
    *registry.urlpatterns,
    *trail.urlpatterns,
]
