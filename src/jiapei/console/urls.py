"""The console's pages, one module per topic, each with its own ``urlpatterns``."""

from jiapei.console import (
    areas,
    bans,
    dashboard,
    files,
    findings,
    police_routes,
    rankings,
    registry,
    registry_fees,
    registry_people,
    registry_platforms,
    registry_vehicles,
    sessions,
    stages,
    students,
    trail,
    watchlist,
    watchlist_notice,
    workorders,
    workorders_clearance,
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
    *findings.urlpatterns,
    *workorders.urlpatterns,
    *workorders_clearance.urlpatterns,
    *watchlist_notice.urlpatterns,
    *watchlist.urlpatterns,
    *bans.urlpatterns,
    *rankings.urlpatterns,
]
