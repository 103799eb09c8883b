"""The console's pages, one module per topic, each with its own ``urlpatterns``."""

from jiapei.console import (
    areas,
    dashboard,
    files,
    police_routes,
    registry,
    registry_fees,
    registry_people,
    registry_platforms,
    registry_vehicles,
    sampling,
    sampling_review,
    sessions,
    stages,
    students,
    thresholds,
    trail,
)

app_name = "console"

urlpatterns = [
    *dashboard.urlpatterns,
    *registry.urlpatterns,
    *registry_platforms.urlpatterns,
    *registry_people.urlpatterns,
    *registry_vehicles.urlpatterns,
    *registry_fees.urlpatterns,
    *areas.urlpatterns,
    *police_routes.urlpatterns,
    *stages.urlpatterns,
    *students.urlpatterns,
    *sessions.urlpatterns,
    *files.urlpatterns,
    *trail.urlpatterns,
    *sampling.urlpatterns,
    *sampling_review.urlpatterns,
    *thresholds.urlpatterns,
]
