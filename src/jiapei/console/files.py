"""Photos, videos and PDFs of the student file, served only to the regions that may see them.

Uploaded files are never reachable under ``MEDIA_URL``. A file is found through the row that
owns it, looked up in the user's scope (:func:`jiapei.training.queries.photos_for`, or the
student through :func:`jiapei.registry.queries.students_for`: the region of the student's
school), so another city's photo answers 404 like any object outside the
scope (access's rule: a guessed id tells nothing), then :func:`jiapei.web.files.serve_file`
streams it with private caching and ``nosniff``.
"""

from __future__ import annotations

from typing import cast

from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views import View

from jiapei.accounts.models import User
from jiapei.console.base import Console
from jiapei.registry import queries as registry
from jiapei.registry.models import UploadedFile
from jiapei.training import queries as training
from jiapei.web.files import serve_file
from jiapei.web.views import LoginRequired


class ConsoleFile(Console, LoginRequired, View):
    """A file owned by a scoped row (regulators only; anonymous visitors go to the login)."""

    def file_of(self, **kwargs: int) -> UploadedFile:
        """The stored file the URL names, found through a row the user may see (404
        otherwise)."""
        raise NotImplementedError

    request: HttpRequest

    @property
    def user(self) -> User:
        return cast(User, self.request.user)

    def get(self, request: HttpRequest, **kwargs: int) -> FileResponse:
        stored = self.file_of(**kwargs)
        return serve_file(stored.content, content_type=stored.content_type)


class PhotoFile(ConsoleFile):
    def file_of(self, **kwargs: int) -> UploadedFile:
        return get_object_or_404(training.photos_for(self.user), pk=kwargs["pk"]).file


class VideoFile(ConsoleFile):
    def file_of(self, **kwargs: int) -> UploadedFile:
        return get_object_or_404(training.videos_for(self.user), pk=kwargs["pk"]).file


class StageRecordFile(ConsoleFile):
    """The PDF of the stage record (阶段培训记录) a timing platform submitted for a part."""

    def file_of(self, **kwargs: int) -> UploadedFile:
        student = get_object_or_404(registry.students_for(self.user), pk=kwargs["pk"])
        record = training.stage_records_of(student).get(kwargs["part"])
        if record is None or record.pdf is None:
            raise Http404("no stage record PDF")
        return record.pdf


class GraduationFile(ConsoleFile):
    """The completion certificate (结业证书) PDF of a student."""

    def file_of(self, **kwargs: int) -> UploadedFile:
        student = get_object_or_404(registry.students_for(self.user), pk=kwargs["pk"])
        graduation = training.graduation_of(student)
        if graduation is None:
            raise Http404("no graduation")
        return graduation.pdf


urlpatterns = [
    path("photos/<int:pk>/", PhotoFile.as_view(), name="photo"),
    path("videos/<int:pk>/", VideoFile.as_view(), name="video"),
    path(
        "students/<int:pk>/stage-records/<int:part>/",
        StageRecordFile.as_view(),
        name="stage_record_pdf",
    ),
    path("students/<int:pk>/graduation/", GraduationFile.as_view(), name="graduation_pdf"),
]
