"""Serving stored photos, videos and PDFs only to those who may see them.

Uploaded files are never served from ``MEDIA_URL`` (that answers 404): an end's view first
finds the row that owns the file through :mod:`jiapei.accounts.access` (another region's row is
a 404), then calls :func:`serve_file`. Responses are private to the browser and never sniffed.
"""

from __future__ import annotations

import mimetypes

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def serve_file(
    stored: FieldFile | None, *, content_type: str = "", filename: str = ""
) -> FileResponse:
    """The file's bytes, or 404 when the row has no file or the file is missing on disk."""
    if not stored or not stored.name:
        raise Http404("no file")
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404("file missing") from error
    guessed = content_type or mimetypes.guess_type(stored.name)[0] or "application/octet-stream"
    name = filename or stored.name.rsplit("/", 1)[-1]
    response = FileResponse(handle, content_type=guessed, filename=name)
    response["Cache-Control"] = "private, max-age=600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'"
    return response
