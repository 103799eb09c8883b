"""The police platform as jiapei models it: pushed hours, pre-entries, bookings, exam results.

It is the memory of the police-platform SIMULATOR (:mod:`jiapei.police_sim`, its own process) and of
the in-memory fake (:mod:`jiapei.integrations.police.fake`), so both answer alike. It lives in the
integration, not in the simulator, because the integration must not import the simulator (which sits
above it). Pure standard library and no I/O except the JSON state file. Every public method takes
the lock, applies one request and saves before returning, so a reply is only sent for a change that
survives a restart.

Rules (seeds 000, 001; the subject/part mapping is ``wire.PART_FOR_SUBJECT``):

* hours are kept per ID card and exam subject; the newest decision wins, judged by the sender's
  ``updatetime`` (an older push or withdrawal arriving late is acknowledged as ``stale``);
* a repeat (same idempotency key, or the stage record already held in the same state) is
  acknowledged and counted as a duplicate, never stored twice;
* a booking needs active (pushed, not withdrawn) hours for every part in :data:`BOOKING_REQUIRES`.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import threading
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jiapei.core import clock
from jiapei.integrations.police.wire import (
    PART_FOR_SUBJECT,
    PATH_HOURS,
    PATH_WITHDRAW,
    SUBJECT_NAMES_EN,
    SUBJECT_NAMES_ZH,
    hours_problems,
    parse_updatetime,
    withdraw_problems,
)

# Exam subject -> subjects whose pushed hours must be active before it can be booked. Each
# subject needs only its own part: 科目三 道路驾驶技能 ("3") and 安全文明驾驶常识 ("4") are
# separate exam subjects, each opened by its own part's approved hours (seed 001:
# 「各考试科目所对应部分培训学时」; seed 000: 「分科目审核合格后推送……提供相应科目的约考服务」).
# Change this table, not the code.
BOOKING_REQUIRES: dict[str, tuple[str, ...]] = {subject: (subject,) for subject in PART_FOR_SUBJECT}


class Code:
    """Simulator ``errorcode`` values."""

    OK = 0
    BAD_REQUEST = 1
    NO_HOURS = 2
    HOURS_WITHDRAWN = 3
    NOT_FILED = 4
    NOT_SCHEDULED = 5
    JIAPEI_UNREACHABLE = 6
    NOT_FOUND = 7
    IDENTITY_MISMATCH = 8
    OUTAGE = 9


@dataclass
class Reply:
    """One answer: HTTP status plus the envelope's fields."""

    status: int
    errorcode: int
    message: str
    data: Any = None

    def envelope(self) -> dict[str, Any]:
        return {
            "errorcode": self.errorcode,
            "message": self.message,
            "data": self.data,
            "simulator": True,
        }


def ok(message: str, data: Any = None) -> Reply:
    return Reply(200, Code.OK, message, data)


def refuse(code: int, message: str, data: Any = None) -> Reply:
    """A business refusal: HTTP 200 with a non-zero errorcode, as the real envelope does."""
    return Reply(200, code, message, data)


def bad_request(problems: list[str]) -> Reply:
    return Reply(400, Code.BAD_REQUEST, "请求不合法 (bad request): " + "; ".join(problems))


def now() -> str:
    """The current instant (the platform's clock, in UTC) as the state file records it."""
    return clock.now().isoformat(timespec="seconds")


def _empty() -> dict[str, Any]:
    counters = (
        "pushes received stored duplicates stale withdrawals bookings_accepted bookings_refused "
        "preentries_accepted preentries_refused results"
    )
    return {
        "version": 1,
        "hours": {},  # idcard -> subject -> entry
        "history": [],  # superseded hours entries
        "keys": {},  # "path|idempotency key" -> data of the first reply
        "preentries": {},  # idcard -> pre-entry
        "bookings": [],
        "results": [],
        "events": [],
        "counters": dict.fromkeys(counters.split(), 0),
    }


class PoliceState:
    """The simulator's state, persisted to ``path`` (JSON, atomic replace) when one is given."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else None
        self.lock = threading.RLock()
        self.data = _empty()
        if self.path is not None and self.path.exists():
            # A corrupt file is an error, not an empty state: silently losing pushed hours would
            # make every booking fail with a misleading reason.
            self.data = json.loads(self.path.read_text(encoding="utf-8"))

    # -- persistence -------------------------------------------------------------------------

    def save(self) -> None:
        """Write the state atomically: a crash mid-write leaves the previous file intact."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".police-sim-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.data, handle, ensure_ascii=False, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.data)

    def _count(self, name: str) -> None:
        self.data["counters"][name] = self.data["counters"].get(name, 0) + 1

    def _event(self, kind: str, **fields: Any) -> None:
        self.data["events"].append({"at": now(), "kind": kind, **fields})

    def _seen(self, path: str, key: str | None) -> Reply | None:
        """The acknowledgement of a repeated idempotency key, or None for a new key."""
        if not key or f"{path}|{key}" not in self.data["keys"]:
            return None
        self._count("duplicates")
        self._event("duplicate", path=path, key=key)
        self.save()
        first = self.data["keys"][f"{path}|{key}"]
        return ok("重复请求，已受理 (duplicate, already accepted)", {**first, "duplicate": True})

    def _remember(self, path: str, key: str | None, data: dict[str, Any]) -> Reply:
        if key:
            self.data["keys"][f"{path}|{key}"] = data
        self.save()
        return ok("已受理 (accepted)", data)

    # -- hours -------------------------------------------------------------------------------

    def push_hours(self, body: dict[str, Any], key: str | None) -> Reply:
        """``POST /hours``: store one approved training record (student × subject)."""
        problems = hours_problems(body)
        if problems:
            return bad_request(problems)
        with self.lock:
            self._count("pushes")
            if (seen := self._seen(PATH_HOURS, key)) is not None:
                return seen
            idcard, subject, stageid = body["idcard"], body["subject"], body["stageid"]
            when = parse_updatetime(body["updatetime"])
            assert when is not None  # checked by hours_problems
            slot = self.data["hours"].setdefault(idcard, {})
            held = slot.get(subject)
            data = {"idcard": idcard, "subject": subject, "stageid": stageid}
            if held and held["status"] == "active" and held["stageid"] == stageid:
                self._count("duplicates")
                self._event("duplicate", path=PATH_HOURS, idcard=idcard, subject=subject)
                return self._remember(PATH_HOURS, key, {**data, "duplicate": True})
            held_when = parse_updatetime(held["updatetime"]) if held else None
            if held_when and (
                when < held_when or (when == held_when and held["status"] == "withdrawn")
            ):
                self._count("stale")
                self._event("stale", path=PATH_HOURS, idcard=idcard, subject=subject)
                return self._remember(PATH_HOURS, key, {**data, "stored": False, "stale": True})
            if held:
                self.data["history"].append({"idcard": idcard, "subject": subject, **held})
            slot[subject] = {
                "status": "active",
                "stageid": stageid,
                "updatetime": body["updatetime"],
                "received_at": now(),
                "idempotency_key": key,
                "record": body,
                "withdrawal": None,
            }
            self._count("stored")
            self._event("hours", idcard=idcard, subject=subject, stageid=stageid)
            return self._remember(PATH_HOURS, key, {**data, "stored": True})

    def withdraw_hours(self, body: dict[str, Any], key: str | None) -> Reply:
        """``POST /hours/withdraw``: the approval of that stage record no longer stands."""
        problems = withdraw_problems(body)
        if problems:
            return bad_request(problems)
        with self.lock:
            if (seen := self._seen(PATH_WITHDRAW, key)) is not None:
                return seen
            idcard, subject, stageid = body["idcard"], body["subject"], body["stageid"]
            when = parse_updatetime(body["updatetime"])
            assert when is not None  # checked by withdraw_problems
            slot = self.data["hours"].setdefault(idcard, {})
            held = slot.get(subject)
            data = {"idcard": idcard, "subject": subject, "stageid": stageid}
            held_when = parse_updatetime(held["updatetime"]) if held else None
            if held and held_when and when < held_when:
                self._count("stale")
                return self._remember(
                    PATH_WITHDRAW, key, {**data, "withdrawn": False, "stale": True}
                )
            if held and held["stageid"] != stageid:
                # The student's current hours come from another stage record: leave them alone.
                self._event("withdraw-other-stage", idcard=idcard, subject=subject, stageid=stageid)
                return self._remember(PATH_WITHDRAW, key, {**data, "withdrawn": False})
            if held and held["status"] == "withdrawn":
                self._count("duplicates")
                return self._remember(PATH_WITHDRAW, key, {**data, "duplicate": True})
            withdrawal = {"reason": body["reason"], "updatetime": body["updatetime"], "at": now()}
            # Without held hours this is a tombstone: a delayed, older push must not revive them.
            slot[subject] = {
                **(held or {"stageid": stageid, "record": None, "received_at": None}),
                "status": "withdrawn",
                "updatetime": body["updatetime"],
                "withdrawal": withdrawal,
            }
            self._count("withdrawals")
            self._event("withdraw", idcard=idcard, subject=subject, reason=body["reason"])
            return self._remember(PATH_WITHDRAW, key, {**data, "withdrawn": True})

    # -- booking -----------------------------------------------------------------------------

    def book(self, body: dict[str, Any]) -> Reply:
        """``POST /booking``: accept only if the subject's required hours are active."""
        idcard, subject = body.get("idcard"), body.get("subject")
        if not isinstance(idcard, str) or not idcard or subject not in BOOKING_REQUIRES:
            return bad_request([f"idcard: required; subject: one of {sorted(BOOKING_REQUIRES)}"])
        with self.lock:
            refusal = self._booking_refusal(idcard, subject)
            entry = {"idcard": idcard, "subject": subject, "at": now(), "accepted": not refusal}
            if refusal:
                entry["reason"] = refusal.message
            self.data["bookings"].append(entry)
            self._count("bookings_refused" if refusal else "bookings_accepted")
            self.save()
            return refusal or ok("预约已受理 (booking accepted)", entry)

    def _booking_refusal(self, idcard: str, subject: str) -> Reply | None:
        for needed in BOOKING_REQUIRES[subject]:
            held = self.data["hours"].get(idcard, {}).get(needed)
            zh, en = SUBJECT_NAMES_ZH[needed], SUBJECT_NAMES_EN[needed]
            if held is not None and held["status"] == "withdrawn":
                reason = (held.get("withdrawal") or {}).get("reason", "")
                return refuse(
                    Code.HOURS_WITHDRAWN,
                    f"{zh}培训学时已被驾培监管平台撤回（{reason}），不予受理预约 "
                    f"(training hours for {en} were withdrawn: {reason}; booking refused)",
                    {"idcard": idcard, "subject": subject, "withdrawn": needed, "reason": reason},
                )
            if held is None or held.get("record") is None:
                return refuse(
                    Code.NO_HOURS,
                    f"驾培监管平台未推送{zh}对应的培训学时，不予受理预约 "
                    f"(no approved training hours pushed for {en}; booking refused)",
                    {"idcard": idcard, "subject": subject, "missing": needed},
                )
        return None

    # -- pre-entry ---------------------------------------------------------------------------

    def record_preentry(
        self, body: dict[str, Any], status: dict[str, Any] | None, error: str | None
    ) -> Reply:
        """``POST /preentry`` after asking jiapei: ``status`` is jiapei's ``data`` (``filed``,
        ``scheduled``, optionally ``idcard``), ``error`` says why jiapei gave none."""
        with self.lock:
            reply = self._preentry_verdict(body, status, error)
            accepted = reply.errorcode == Code.OK
            self._count("preentries_accepted" if accepted else "preentries_refused")
            self._event("preentry", idcard=body["idcard"], accepted=accepted, reason=reply.message)
            if accepted:
                self.data["preentries"][body["idcard"]] = {**body, "at": now()}
            self.save()
            return reply

    @staticmethod
    def _preentry_verdict(
        body: dict[str, Any], status: dict[str, Any] | None, error: str | None
    ) -> Reply:
        data = {"idcard": body["idcard"], "stunum": body["stunum"]}
        if status is None:
            return refuse(
                Code.JIAPEI_UNREACHABLE,
                f"无法向驾培监管平台核实学员信息，暂不受理预录入 "
                f"(could not confirm the student with the supervision platform: {error})",
                data,
            )
        if status.get("idcard") not in (None, body["idcard"]):
            return refuse(
                Code.IDENTITY_MISMATCH,
                "学员编号与身份证明号码不一致 (student number does not belong to this ID card)",
                data,
            )
        if not status.get("filed"):
            return refuse(
                Code.NOT_FILED,
                "学员未在驾培监管平台备案，不予预录入 (student not filed with the supervision "
                f"platform; pre-entry refused){': ' + error if error else ''}",
                data,
            )
        if not status.get("scheduled"):
            return refuse(
                Code.NOT_SCHEDULED,
                "学员未在驾培监管平台完成排班，不予预录入 "
                "(student not scheduled on the supervision platform; pre-entry refused)",
                data,
            )
        return ok("预录入已受理 (pre-entry accepted)", data)

    # -- exam results ------------------------------------------------------------------------

    def record_result(self, body: dict[str, Any]) -> tuple[Reply, dict[str, Any] | None]:
        """``POST /results``: keep the result; returns the entry the server must forward."""
        problems = []
        if not isinstance(body.get("idcard"), str) or not body["idcard"]:
            problems.append("idcard: required")
        if body.get("subject") not in PART_FOR_SUBJECT:
            problems.append(f"subject: one of {sorted(PART_FOR_SUBJECT)}")
        if not isinstance(body.get("passed"), bool):
            problems.append("passed: required boolean")
        try:
            date.fromisoformat(str(body.get("date")))
        except ValueError:
            problems.append("date: required YYYY-MM-DD")
        if problems:
            return bad_request(problems), None
        with self.lock:
            held = self.data["hours"].get(body["idcard"], {}).get(body["subject"]) or {}
            record = held.get("record") or {}
            pre = self.data["preentries"].get(body["idcard"], {})
            entry = {
                "id": uuid.uuid4().hex,
                "idcard": body["idcard"],
                "stunum": body.get("stunum") or record.get("stunum") or pre.get("stunum"),
                "traintype": record.get("traintype") or pre.get("traintype"),
                "subject": body["subject"],
                "passed": body["passed"],
                "date": body["date"],
                "at": now(),
                "forwarded": False,
                "forward_attempts": 0,
                "forward_error": None,
            }
            self.data["results"].append(entry)
            self._count("results")
            self.save()
            return ok("考试结果已记录 (exam result recorded)", entry), dict(entry)

    def mark_forwarded(self, result_id: str, attempts: int, error: str | None) -> None:
        with self.lock:
            for entry in self.data["results"]:
                if entry["id"] == result_id:
                    entry.update(
                        forwarded=error is None, forward_attempts=attempts, forward_error=error
                    )
            self.save()

    # -- queries -----------------------------------------------------------------------------

    def student(self, idcard: str) -> dict[str, Any]:
        """Everything held on one ID card."""
        with self.lock:
            return copy.deepcopy(
                {
                    "idcard": idcard,
                    "hours": self.data["hours"].get(idcard, {}),
                    "preentry": self.data["preentries"].get(idcard),
                    "bookings": [b for b in self.data["bookings"] if b["idcard"] == idcard],
                    "results": [r for r in self.data["results"] if r["idcard"] == idcard],
                }
            )
