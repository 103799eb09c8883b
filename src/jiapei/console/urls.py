"""The console's pages, one module per topic, each with its own ``urlpatterns``."""

from jiapei.console import (
    dashboard,
    registry,
    registry_fees,
    registry_people,
    registry_platforms,
    registry_vehicles,
)

app_name = "console"

urlpatterns = [
    *dashboard.urlpatterns,
    *registry.urlpatterns,
    *registry_platforms.urlpatterns,
    *registry_people.urlpatterns,
    *registry_vehicles.urlpatterns,
    *registry_fees.urlpatterns,
]
