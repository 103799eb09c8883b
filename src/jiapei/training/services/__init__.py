"""Writes of training data: ingest of teaching logs, photos, stage records, completions and
videos (``logs``), minute records (``minutes``) and voiding logs (``voiding``). Every writer
is one transaction with an audit-log row. The audit queue (``requests``) is filled by these
writers inside their transactions and drained by the worker."""

from jiapei.training.services.logs import (
    file_classrecord,
    file_graduation,
    file_photo,
    file_stage,
    file_video,
)
from jiapei.training.services.minutes import ingest
from jiapei.training.services.voiding import void_logs

__all__ = [
    "file_classrecord",
    "file_graduation",
    "file_photo",
    "file_stage",
    "file_video",
    "ingest",
    "void_logs",
]
