"""The words of the findings pages: each detector's name and what its finding means to an
officer, the severities and the statuses, in zh-hans msgids.

The names repeat :data:`jiapei.fraud.detectors.base.DETECTORS` as literals so that the message
catalogue can be extracted; a test keeps the two the same.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DETECTOR_NAMES = {
    "PHOTO_FROZEN": _("同一会话照片雷同"),
    "PHOTO_REPLAYED": _("照片跨会话重复使用"),
    "FACE_SHARED": _("同一人脸出现在不同学员的培训中"),
    "FACE_LOW": _("人脸比对置信度偏低"),
    "FACE_FALLING": _("签到后人脸比对置信度下降"),
    "GNSS_STILL_MILEAGE": _("有速度里程但位置不动"),
    "SPEED_TOO_REGULAR": _("速度曲线过于规则"),
    "TRACK_REPLAYED": _("轨迹与以往培训重复"),
    "COACH_TWO_CARS": _("教练员同时在两辆车上带教"),
    "CAR_TWO_STUDENTS": _("同一教练车同时培训两名学员"),
    "THEORY_PRACTICE_CROSS": _("理论与实操交叉培训"),
    "NIGHT_IDLE_CAR": _("夜间空车刷学时"),
    "STAGE_BURST": _("阶段报审前集中刷学时"),
    "MINUTE_RESENT": _("同一分钟学时重复上报"),
    "SCHOOL_VOID_RATE": _("驾校无效学时率异常偏高"),
    "SCHOOL_FINDING_RATE": _("驾校疑点率异常偏高"),
    "SCHOOL_MILEAGE_RATE": _("驾校每学时里程异常"),
}

# What each finding tells an officer, and what to look at before deciding.
MEANINGS = {
    "PHOTO_FROZEN": _(
        "同一次培训中后拍的照片与先拍的几乎是同一张：终端可能接了照片机，或摄像头被遮挡。"
        "请对照各照片的画面与拍摄时间。"
    ),
    "PHOTO_REPLAYED": _(
        "本次培训的照片与该学员以往培训中的照片几乎相同：疑似把旧照片重新上传（照片机）。"
        "请对照两张照片及其所属的培训。"
    ),
    "FACE_SHARED": _(
        "同一张照片出现在两名不同学员的培训中：疑似他人代学（替学）或冒用照片。"
        "请对照两张照片、两次培训和两名学员。"
    ),
    "FACE_LOW": _(
        "本次培训多数照片的人脸比对置信度低于及格线：培训的可能不是学员本人。请查看照片及其置信度。"
    ),
    "FACE_FALLING": _(
        "签到照片比对良好，其后的照片置信度明显下降：疑似签到后换人培训。"
        "请对照签到照片与其后的照片。"
    ),
    "GNSS_STILL_MILEAGE": _(
        "终端报送了速度和里程，卫星定位却几乎不动：疑似用跑马机伪造行驶。"
        "请查看速度与位移随时间的变化。"
    ),
    "SPEED_TOO_REGULAR": _(
        "速度曲线过于平滑或周期性过强，不像真实驾驶：疑似跑马机。请查看速度曲线。"
    ),
    "TRACK_REPLAYED": _(
        "本次培训的轨迹与以往某次培训的轨迹几乎重合，仅时间平移：疑似回放旧轨迹（模拟器）。"
        "请对照两条轨迹。"
    ),
    "COACH_TWO_CARS": _(
        "同一教练员在同一时间出现在两辆教练车的培训中：至少一次带教是虚假的。请查看时间轴上的重叠。"
    ),
    "CAR_TWO_STUDENTS": _(
        "同一辆教练车在同一时间为两名学员计时：至少一段学时是虚假的。请查看时间轴上的重叠。"
    ),
    "THEORY_PRACTICE_CROSS": _(
        "学员在同一时间既在课堂（或模拟器）培训又在车上实操：至少一段学时是虚假的。"
    ),
    "NIGHT_IDLE_CAR": _("深夜在一辆当天没有其他培训的车上计时：疑似空车刷学时。"),
    "STAGE_BURST": _("阶段报审前短时间内集中产生大量学时：疑似突击刷学时。"),
    "MINUTE_RESENT": _(
        "同一学员同一分钟的学时以新的记录编号再次上报：疑似重复计时。请查看所涉分钟记录。"
    ),
    "SCHOOL_VOID_RATE": _("该驾校的无效学时率远高于全省分布：建议列入重点监管并抽查。"),
    "SCHOOL_FINDING_RATE": _("该驾校每千次培训的线索数远高于全省分布：建议列入重点监管并抽查。"),
    "SCHOOL_MILEAGE_RATE": _("该驾校每学时里程远离全省分布：可能存在跑马机或不实里程。"),
}

SEVERITIES = {"high": _("高"), "medium": _("中"), "low": _("低")}
STATUSES = {"open": _("待研判"), "ordered": _("已转工单"), "dismissed": _("已排除")}
