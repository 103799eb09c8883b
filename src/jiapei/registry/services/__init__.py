"""Writes to the filing registry. Every function is one transaction with an audit-log row."""

from jiapei.registry.services.areas import (
    delete_area,
    enter_police_route,
    file_area,
    review_area,
)
from jiapei.registry.services.fees import delete_fee_standard, file_fee_standard
from jiapei.registry.services.filing import (
    delete_filing,
    file_institution,
    file_personnel,
    file_student,
)
from jiapei.registry.services.platforms import register_platform, set_platform_status
from jiapei.registry.services.revocation import set_filing_revoked
from jiapei.registry.services.transfers import (
    decide_by_platform,
    decide_by_regulator,
    request_transfer,
)
from jiapei.registry.services.uploads import store_upload
from jiapei.registry.services.vehicles import (
    bind_device,
    file_device,
    file_trainingcar,
    unbind_device,
)

__all__ = [
    "bind_device",
    "decide_by_platform",
    "decide_by_regulator",
    "delete_area",
    "delete_fee_standard",
    "delete_filing",
    "enter_police_route",
    "file_area",
    "file_device",
    "file_fee_standard",
    "file_institution",
    "file_personnel",
    "file_student",
    "file_trainingcar",
    "register_platform",
    "request_transfer",
    "review_area",
    "set_filing_revoked",
    "set_platform_status",
    "store_upload",
    "unbind_device",
]
