"""What every audit reason code means, in words a school or a student can act on.

The codes are the stable strings of DESIGN.md §6. Texts may name thresholds as
``{field}`` placeholders of :class:`~jiapei.audit.thresholds.Thresholds`; :func:`explain`
fills them from the thresholds that produced the verdict, so the sentence always states the
number that was actually applied.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from jiapei.audit.thresholds import Thresholds


@dataclass(frozen=True)
class Reason:
    """A code's level ("minute" or "session") and its explanation in zh-hans and English."""

    level: str
    zh: str
    en: str


REASONS: dict[str, Reason] = {
    "TIME_WINDOW": Reason(
        "minute",
        "在允许的培训时段以外培训，这些分钟不计学时；请在规定时段内培训",
        "Trained outside the allowed hours for this course mode; these minutes do not count.",
    ),
    "COACH_NOT_FILED": Reason(
        "minute",
        "教练员未备案、已注销或被列入黑名单，这些分钟不计学时；驾校需先完成教练员备案",
        "The coach is not filed (or was revoked or blacklisted); file the coach first.",
    ),
    "COACH_CLASS": Reason(
        "minute",
        "教练员的准教车型不包含学员的培训车型，这些分钟不计学时；请更换有相应准教车型的教练员",
        "The coach is not permitted to teach this vehicle class; use a coach who is.",
    ),
    "CAR_NOT_FILED": Reason(
        "minute",
        "教练车未备案或已注销，这些分钟不计学时；驾校需先完成教练车备案",
        "The training car is not filed (or was revoked); file the car first.",
    ),
    "CAR_CLASS": Reason(
        "minute",
        "教练车的培训车型与学员的培训车型不符，这些分钟不计学时",
        "The training car's class does not match the student's class; these minutes do not count.",
    ),
    "DEVICE_UNBOUND": Reason(
        "minute",
        "计时终端未绑定到这辆教练车或这个教室，这些分钟不计学时；驾校需先办理终端绑定",
        "The timing terminal is not bound to this car or room; bind the terminal first.",
    ),
    "ENGINE_OFF": Reason(
        "minute",
        "发动机转速为0（车辆熄火），这些分钟不计学时",
        "The engine was off (0 rpm); these minutes do not count.",
    ),
    "STATIONARY": Reason(
        "minute",
        "连续{stationary_minutes}分钟及以上车速为0，这些分钟不计学时",
        "The car stood still for {stationary_minutes} or more minutes in a row; "
        "these minutes do not count.",
    ),
    "NO_MILEAGE": Reason(
        "minute",
        "连续{no_mileage_minutes}分钟及以上没有行驶里程，这些分钟不计学时",
        "No distance was driven for {no_mileage_minutes} or more minutes in a row; "
        "these minutes do not count.",
    ),
    "OUT_OF_FENCE": Reason(
        "minute",
        "车辆在核定的教学区域（电子围栏）或道路培训路线以外，这些分钟不计学时；请在备案的教学区域内培训",
        "The car was outside the approved teaching area or road route; these minutes do not count.",
    ),
    "SPEED": Reason(
        "minute",
        "车速超过该培训部分允许的最高车速（第二部分{speed_limit_part2_kmh:g}公里/小时，"
        "第三部分{speed_limit_part3_kmh:g}公里/小时），这些分钟不计学时",
        "The speed exceeded the limit for this part (part 2 {speed_limit_part2_kmh:g} km/h, "
        "part 3 {speed_limit_part3_kmh:g} km/h); these minutes do not count.",
    ),
    "ODOMETER_GNSS_MISMATCH": Reason(
        "minute",
        "终端记录了行驶里程，但卫星定位显示车辆连续{odometer_window_minutes}分钟停在原地"
        "（疑似使用跑马机），这些分钟不计学时",
        "Mileage was recorded but the GNSS position did not move for "
        "{odometer_window_minutes} minutes (suspected odometer simulator); "
        "these minutes do not count.",
    ),
    "TELEPORT": Reason(
        "minute",
        "相邻两次定位之间的距离需要超过{teleport_speed_kmh:g}公里/小时的车速才能到达"
        "（定位异常或数据被篡改），这些分钟不计学时",
        "Two consecutive positions imply a speed above {teleport_speed_kmh:g} km/h "
        "(GNSS fault or tampering); these minutes do not count.",
    ),
    "PHOTO_GAP": Reason(
        "minute",
        "缺少定时拍照或照片人脸比对未通过，其前后{photo_window_minutes}分钟不计学时；"
        "请保证摄像头正常、面部清晰可见",
        "A timed photo was missing or failed face matching; the {photo_window_minutes} minutes "
        "on either side do not count. Keep the camera working and the face visible.",
    ),
    "DAILY_CAP": Reason(
        "minute",
        "当天已累计{daily_cap_practical_minutes}分钟实操或{daily_cap_theory_minutes}分钟"
        "理论（课堂、模拟、远程）学时，超出部分不计学时",
        "The daily limit ({daily_cap_practical_minutes} practical or "
        "{daily_cap_theory_minutes} theory minutes) was already reached; the rest does not count.",
    ),
    "OVERLAP": Reason(
        "minute",
        "同一学员、教练员或教练车在同一时间出现在两个培训记录中，重叠的分钟不计学时",
        "The same student, coach or car appears in two sessions at the same time; "
        "the overlapping minutes do not count.",
    ),
    "BEFORE_ENROL": Reason(
        "minute",
        "培训时间早于学员的报名日期，这些分钟不计学时；请核对报名日期",
        "The training took place before the student's enrolment date; these minutes do not count.",
    ),
    "CROSS_DAY": Reason(
        "minute",
        "培训跨越了零点，跨天后的分钟不计学时；请在零点前签退、次日重新签到",
        "The session ran past midnight; minutes after midnight do not count. "
        "Sign out before midnight and sign in again.",
    ),
    "SHORT_DISTANCE": Reason(
        "session",
        "本次实操培训总里程不足{short_distance_km:g}公里，整次培训无效",
        "The practical session covered less than {short_distance_km:g} km; "
        "the whole session is invalid.",
    ),
    "SIGNIN_PHOTO_MISSING": Reason(
        "session",
        "缺少学员签到照片，签到前后{photo_window_minutes}分钟不计学时",
        "The student's sign-in photo is missing; the minutes around sign-in do not count.",
    ),
    "SIGNOUT_PHOTO_MISSING": Reason(
        "session",
        "缺少学员签退照片，签退前后{photo_window_minutes}分钟不计学时",
        "The student's sign-out photo is missing; the minutes around sign-out do not count.",
    ),
    "TWO_BAD_PHOTOS": Reason(
        "session",
        "连续两张照片缺失或人脸比对未通过，整次培训无效",
        "Two photos in a row were missing or failed face matching; the whole session is invalid.",
    ),
    "FACE_MISMATCH": Reason(
        "session",
        "照片人脸比对置信度低于{face_confidence_min}，可能不是学员本人在培训",
        "A photo's face-match confidence was below {face_confidence_min}; "
        "the trainee may not be the student.",
    ),
    "PHOTO_REUSED": Reason(
        "session",
        "本次培训中出现几乎相同的照片（疑似使用照片机或重复上传），整次培训无效",
        "Near-identical photos appear in this session (suspected photo replay); "
        "the whole session is invalid.",
    ),
    "VALID_SHARE": Reason(
        "session",
        "有效分钟占本次培训总分钟不足{valid_share_pct:g}%，整次培训无效",
        "Fewer than {valid_share_pct:g}% of the session's minutes are valid; "
        "the whole session is invalid.",
    ),
    "TRAINING_BAN": Reason(
        "minute",
        "教练员、教练车或计时终端处于禁训状态，该分钟学时不予认可",
        "The coach, car or timing terminal was under a training ban; the minute does not count.",
    ),
    "MANUAL_VOID": Reason(
        "session",
        "监管部门经工单核查认定本次培训学时无效",
        "A regulator found this session's hours invalid when deciding a work order.",
    ),
    # Given at ingest (issue 18): one minute of one student is credited once, whatever the
    # record number, terminal or session it arrives under.
    "MINUTE_REPEATED": Reason(
        "minute",
        "该学员在这一分钟已有学时记录（同一分钟以其他记录编号重复上传），重复的分钟不计学时",
        "The student already has a record in this wall-clock minute (sent again under another "
        "record number); the repeat does not count.",
    ),
}

# The canonical order of codes in a verdict: the order of DESIGN.md §6.
CODE_ORDER: dict[str, int] = {code: index for index, code in enumerate(REASONS)}


def ordered(codes: list[str]) -> list[str]:
    """Return ``codes`` without duplicates in canonical order; unknown codes go last, sorted."""
    unique = sorted(set(codes), key=lambda c: (CODE_ORDER.get(c, len(CODE_ORDER)), c))
    return unique


def explain(code: str, *, lang: str = "zh-hans", thresholds: Thresholds | None = None) -> str:
    """Return the explanation of ``code`` in ``lang`` ("zh-hans" or "en").

    Placeholders are filled from ``thresholds`` (the defaults when omitted). An unknown code,
    e.g. one given by ingest, is returned as is rather than raising, because an explanation
    must never stop a page from rendering.
    """
    reason = REASONS.get(code)
    if reason is None:
        return code
    values = dataclasses.asdict(thresholds or Thresholds())
    values["valid_share_pct"] = values["valid_share_min"] * 100
    text = reason.en if lang.startswith("en") else reason.zh
    return text.format(**values)
