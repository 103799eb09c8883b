"""Photos and videos of training sessions, served only to the regions that may see them.

Uploaded files are never reachable under ``MEDIA_URL``. A file is found through the row that
owns it, looked up in the user's scope (:func:`jiapei.training.queries.photos_for`: the region
of the student's school), so another city's photo answers 404 like any object outside the
scope (access's rule: a guessed id tells nothing), then :func:`jiapei.web.files.serve_file`
streams it with private caching and ``nosniff``.
"""

from __future__ import annotations

from typing import cast

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views import View

from jiapei.accounts.models import User
from jiapei.console.base import Console
from jiapei.registry.models import UploadedFile
from jiapei.training import queries as training
from jiapei.web.files import serve_file
from jiapei.web.views import LoginRequired


class ConsoleFile(Console, LoginRequired, View):
    """A file owned by a scoped row (regulators only; anonymous visitors go to the login)."""

    def file_of(self, pk: int) -> UploadedFile:
        """The stored file of the row ``pk`` the user may see (404 otherwise)."""
        raise NotImplementedError

    request: HttpRequest

    @property
    def user(self) -> User:
        return cast(User, self.request.user)

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        stored = self.file_of(pk)
        return serve_file(stored.content, content_type=stored.content_type)


class PhotoFile(ConsoleFile):
    def file_of(self, pk: int) -> UploadedFile:
        return get_object_or_404(training.photos_for(self.user), pk=pk).file


class VideoFile(ConsoleFile):
    def file_of(self, pk: int) -> UploadedFile:
        return get_object_or_404(training.videos_for(self.user), pk=pk).file


urlpatterns = [
    path("photos/<int:pk>/", PhotoFile.as_view(), name="photo"),
    path("videos/<int:pk>/", VideoFile.as_view(), name="video"),
]
