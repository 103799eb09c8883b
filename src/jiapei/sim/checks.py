"""Did the audit catch what the simulator planted? Compares a :class:`SimReport` with the
verdicts stored for its sessions: per planted code, how many of its sessions carry that code
(on the log or on any of its minutes), and how many honest sessions were not wholly valid.
Sessions carrying injected fraud (``sim.fraud``) are neither planted nor honest here."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from jiapei.sim.days import SimReport
from jiapei.training.models import AuditStatus, MinuteRecord, TeachingLog


@dataclass
class Catch:
    planted: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)
    honest: int = 0
    honest_flagged: int = 0
    flagged_examples: list[str] = field(default_factory=list)

    @property
    def recall(self) -> dict[str, float]:
        return {code: self.caught[code] / n for code, n in sorted(self.planted.items())}


def compare(report: SimReport) -> Catch:
    logs = {
        log.rnum: log
        for log in TeachingLog.objects.filter(rnum__in=[s.rnum for s in report.sessions])
    }
    codes_by_log: dict[str, set[str]] = defaultdict(set)
    for log in logs.values():
        codes_by_log[log.rnum].update(log.codes)
        rows = MinuteRecord.objects.filter(
            student_id=log.student_id, at__gte=log.starttime, at__lte=log.endtime
        ).values_list("codes", "reject_codes")
        for codes, rejected in rows:
            codes_by_log[log.rnum].update(codes or [])
            codes_by_log[log.rnum].update(rejected or [])
    catch = Catch()
    for session in report.sessions:
        found = codes_by_log.get(session.rnum, set()) | set(session.ingest_codes)
        if session.planted:
            catch.planted[session.planted] += 1
            catch.caught[session.planted] += session.planted in found
            continue
        if session.injected:
            # Injected hours fraud (``sim.fraud``) is judged by the fraud evaluation, not here;
            # many patterns (a stand-in's low confidences) rightly fail the audit too.
            continue
        catch.honest += 1
        stored = logs.get(session.rnum)
        if stored is None or stored.audit_status != AuditStatus.VALID:
            catch.honest_flagged += 1
            if len(catch.flagged_examples) < 5:
                catch.flagged_examples.append(f"{session.rnum}: {sorted(found)}")
    return catch
