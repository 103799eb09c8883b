"""Storing files sent to ``imageup/{type}``."""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.errors import FieldError
from jiapei.registry.models import TimingPlatform, UploadedFile

# imageup types of standards.md §2.2 and the content each may carry.
IMAGE_TYPES = {
    "stuimg",
    "stufp",
    "coachimg",
    "coachfp",
    "examinerimg",
    "examinerfp",
    "securityguardimg",
    "securityguardfg",
    "vehimg",
    "outletsimg",
    "occupationimg",
    "onlineimg",
    "classroom",
    "simulation",
}
OTHER_TYPES = {
    "voiceprintimg": "application/octet-stream",
    "epdfimg": "application/pdf",
    "video": "video/mp4",
}
MAX_BYTES = 10 * 1024 * 1024
# A terminal's photo is well under 5 megapixels; a decompression bomb claims billions.
MAX_PIXELS = 40_000_000


@contextmanager
def open_image(field: str, content: bytes, value: Any) -> Iterator[Any]:
    """The Pillow image of ``content`` (None when it is not an image), opened with a pixel
    limit checked from the header before any pixel is decoded. A bomb is refused as a
    FieldError naming ``field``=``value``."""
    from PIL import Image, UnidentifiedImageError

    refusal = FieldError(
        field, value, f"图片超过 {MAX_PIXELS} 像素 (image larger than {MAX_PIXELS} pixels)"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(content))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise refusal from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            image = None
    if image is None:
        yield None
        return
    with image:
        if image.width * image.height > MAX_PIXELS:
            raise refusal
        yield image


def _sniff(kind: str, content: bytes) -> str:
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return OTHER_TYPES.get(kind, "application/octet-stream")


def store_upload(
    *, actor: Actor, platform: TimingPlatform, kind: str, content: bytes
) -> tuple[UploadedFile, bool]:
    """Store one uploaded file. The same bytes of the same type return the existing id."""
    if kind not in IMAGE_TYPES and kind not in OTHER_TYPES:
        raise FieldError("type", kind, "未知的文件类型 (unknown imageup type)")
    if not content:
        raise FieldError("file", "", "文件为空 (empty file)")
    if len(content) > MAX_BYTES:
        raise FieldError("file", f"{len(content)} bytes", "文件过大 (file too large)")
    content_type = _sniff(kind, content)
    if kind in IMAGE_TYPES and not content_type.startswith("image/"):
        raise FieldError("file", kind, "应为 JPEG 或 PNG 图片 (must be a JPEG or PNG image)")
    if kind in IMAGE_TYPES:
        with open_image("file", content, kind):
            pass
    if kind == "epdfimg" and content_type != "application/pdf":
        raise FieldError("file", kind, "应为 PDF 文件 (must be a PDF)")
    sha = hashlib.sha256(content).hexdigest()
    existing = UploadedFile.objects.filter(platform=platform, kind=kind, sha256=sha).first()
    if existing is not None:
        return existing, False
    suffix = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}.get(
        content_type, ".bin"
    )
    try:
        with transaction.atomic():
            row = UploadedFile(
                kind=kind,
                platform=platform,
                sha256=sha,
                size=len(content),
                content_type=content_type,
            )
            row.content.save(f"{kind}-{sha[:16]}{suffix}", ContentFile(content), save=False)
            row.save()
            trail.record(actor=actor, action="imageup", obj=row, after=trail.snapshot(row))
            return row, True
    except IntegrityError:
        return UploadedFile.objects.get(platform=platform, kind=kind, sha256=sha), False
