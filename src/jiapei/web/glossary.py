"""One word per idea across every end (reference/ui.md §5): the labels of audit-trail actions
and the unit formats. Kept here so the console, the school port and the portal agree."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Audit-log action codes (jiapei.core.services.record) → what a regulator reads.
ACTIONS = {
    "audit.run": _("学时审核"),
    "charstandard.delete": _("注销收费标准"),
    "charstandard.file": _("备案收费标准"),
    "classrecord.create": _("上传教学日志"),
    "classrecord.update": _("更新教学日志"),
    "core.repair": _("修复数据"),
    "devassign.create": _("绑定计时终端"),
    "devassign.update": _("更新终端绑定"),
    "device.file": _("备案计时终端"),
    "devrembinding": _("解除终端绑定"),
    "exam.result": _("考试结果"),
    "fraud.dismiss": _("排除疑点"),
    "fraud.order": _("疑点转工单"),
    "fraud.scan": _("疑点扫描"),
    "graduation": _("结业"),
    "imageup": _("上传文件"),
    "institution.file": _("备案培训机构"),
    "legacybackfill": _("历史学时补录"),
    "legacybackfill.review": _("审核历史学时补录"),
    "minuterecords.ingest": _("上传分钟学时"),
    "platform.register": _("登记计时平台"),
    "platform.status": _("变更计时平台状态"),
    "platform.update": _("更新计时平台"),
    "region.delete": _("注销教学区域"),
    "region.file.create": _("备案教学区域"),
    "region.file.update": _("更新教学区域"),
    "region.review": _("审核教学区域"),
    "route.create": _("录入公安指定路线"),
    "route.update": _("修改公安指定路线"),
    "sampling.draw": _("抽取人工抽查"),
    "sampling.policy": _("设置抽查比例"),
    "sampling.topup": _("补充抽查"),
    "sampling.verdict": _("人工抽查结论"),
    "stage.assemble": _("生成阶段培训记录"),
    "stage.backfill": _("补录阶段记录"),
    "stage.review": _("审核阶段培训记录"),
    "stage.revoke": _("撤销阶段培训记录"),
    "stagetrainningtime": _("上报阶段学时"),
    "student.file": _("备案学员"),
    "student.transfer": _("学员转校"),
    "threshold.set": _("设置审核阈值"),
    "trainimginfo": _("上传培训照片"),
    "training.void": _("学时作废"),
    "trainingban.ban": _("禁训"),
    "trainingban.lift": _("解除禁训"),
    "trainingcar.file": _("备案教练车"),
    "user.create": _("创建账户"),
    "videorecord": _("上传视频"),
    "watchlist.add": _("列入重点监管"),
    "watchlist.lift": _("移出重点监管"),
    "workorders.escalate": _("工单升级"),
    "workorders.open": _("生成工单"),
    "workorders.resolve": _("办结工单"),
    "workorders.start": _("受理工单"),
}

# Suffixes of actions composed from a record kind (``coach.revoke``, ``trainingcar.delete``).
VERBS = {
    "revoke": _("撤销备案"),
    "restore": _("恢复备案"),
    "delete": _("注销"),
    "file": _("备案"),
    "create": _("新增"),
    "update": _("更新"),
}

KINDS = {
    "coach": _("教练员"),
    "examiner": _("考核员"),
    "securityguard": _("安全员"),
    "trainingcar": _("教练车"),
    "device": _("计时终端"),
    "student": _("学员"),
    "institution": _("培训机构"),
}


def action_label(code: str) -> str:
    """The zh-hans (or English) label of an audit-log action code; the code itself when the
    glossary does not know it, so nothing is hidden."""
    if code in ACTIONS:
        return str(ACTIONS[code])
    parts = code.split(".")
    kind, verb = parts[0], parts[-1]
    if kind in KINDS and verb in VERBS:
        # ``coach.file.update`` reads 教练员更新, ``coach.revoke`` 教练员撤销备案.
        return f"{KINDS[kind]}{VERBS[verb]}"
    return code


def hours(minutes: int | float | None) -> str:
    """``750`` minutes → ``12.5 学时`` (1 学时 = 60 minutes, standards.md)."""
    if minutes is None:
        return "—"
    return f"{minutes / 60:.1f} {_('学时')}"
