"""The console's pages, one module per topic, each with its own ``urlpatterns``."""

import jiapei.console.files as files
import jiapei.console.sessions as sessions
import jiapei.console.students as students
from jiapei.console import dashboard, registry

app_name = "console"

urlpatterns = [
    *dashboard.urlpatterns,
    *registry.urlpatterns,
    *students.urlpatterns,
    *sessions.urlpatterns,
    *files.urlpatterns,
]
