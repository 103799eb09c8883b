"""Training days played through the real signed API: sessions, photos, minutes, teaching logs.

:func:`simulate_days` gives every enrolled student zero to two sessions a day (practical part 2
or classroom part 1 while new, practical part 3 or remote part 4 once enrolled 30 days) and
plays each like a timing platform: photos (``imageup/stuimg`` + ``trainimginfo``), minute
records (``minuterecords``, ≤ 500 a batch), then the teaching log (``classrecord``). A share of
sessions carries ONE planted violation of DESIGN §6 each; every plant is in the report.

Contracts: a day's plan is a pure function of (world, seed, day), so the same seed gives the
same report and replaying a day stores nothing new. Honest sessions keep every rule (windows,
fences, route hours, coach and car classes, no overlaps, daily caps). Record numbers restart at
0001 per terminal and day; minutes a plant puts on another day (CROSS_DAY, BEFORE_ENROL) are
numbered from 5000 up so they never collide with that day's own. ``recnum`` is the log's day
(days since 2020-01-01) × 10 + the student's session index that day: a per-student increasing
5-digit sequence that a replay reproduces.

Schools come from :mod:`jiapei.sim.roster`, session plans and their plants from
:mod:`jiapei.sim.plants`, in-car photos from :mod:`jiapei.sim.photos`.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from jiapei.core import progress
from jiapei.sim import camera, plants
from jiapei.sim.client import ApiRefused, TimingPlatformClient
from jiapei.sim.photos import render
from jiapei.sim.plants import EPOCH, MINUTE, Calendar, Plan, Shot
from jiapei.sim.roster import School, prepare
from jiapei.sim.world import World

BATCH = 500
CODES = (
    "TIME_WINDOW", "COACH_NOT_FILED", "COACH_CLASS", "DEVICE_UNBOUND", "ENGINE_OFF", "STATIONARY",
    "NO_MILEAGE", "OUT_OF_FENCE", "SPEED", "ODOMETER_GNSS_MISMATCH", "TELEPORT", "PHOTO_GAP",
    "SIGNIN_PHOTO_MISSING", "SIGNOUT_PHOTO_MISSING", "TWO_BAD_PHOTOS", "FACE_MISMATCH",
    "PHOTO_REUSED", "DAILY_CAP", "OVERLAP", "BEFORE_ENROL", "CROSS_DAY", "SHORT_DISTANCE",
    "VALID_SHARE",
)  # fmt: skip


@dataclass(frozen=True)
class SimSession:
    """One teaching log sent; ``planted`` is the violation planted in it, if any. ``accepted``,
    ``rejected`` and ``ingest_codes`` are what ``minuterecords`` answered for its minutes."""

    rnum: str
    stunum: str
    day: date
    mode: int
    part: int
    planted: str | None
    minutes: int
    start: str = ""
    accepted: int = 0
    rejected: int = 0
    ingest_codes: tuple[str, ...] = ()
    injected: str | None = None  # the fraud pattern (``sim.fraud``) the session carries
    form: str = ""  # its form, or the hard honest case the session carries (``sim.fraud``)


class Injector(Protocol):
    """Hooks through which :mod:`jiapei.sim.fraud` injects fraud into a day's honest plan.

    ``reserve`` runs before any session is placed (e.g. to keep a car idle all day), ``add``
    after the day's sessions are placed (it may add sessions and mark some with
    ``Plan.injected``), ``finish`` once every session has its track and photos (it rewrites
    those of the marked ones), and ``sent`` after the day was played.
    """

    def reserve(self, cal: Calendar, schools: list[School], day: date) -> None: ...

    def add(self, cal: Calendar, schools: list[School], day: date, plans: list[Plan]) -> None: ...

    def finish(self, day: date, plans: list[Plan]) -> None: ...

    def sent(self, day: date, plans: list[Plan]) -> None: ...


@dataclass
class SimReport:
    """Every session played, and the API's answers. Totals count a replayed minute by the result
    it first got; ``duplicates`` and ``errors`` are informational and left out of equality."""

    sessions: list[SimSession] = field(default_factory=list)
    minutes_sent: int = 0
    accepted: int = 0
    rejected: int = 0
    refused: int = 0
    photos_sent: int = 0
    logs_sent: int = 0
    logs_refused: int = 0
    duplicates: int = field(default=0, compare=False)
    errors: list[str] = field(default_factory=list, compare=False)

    def planted(self) -> Counter[str]:
        return Counter(s.planted for s in self.sessions if s.planted)

    def injected(self) -> Counter[str]:
        return Counter(s.injected for s in self.sessions if s.injected)


def simulate_days(
    client: TimingPlatformClient,
    world: World,
    *,
    days: int,
    start_day: date,
    seed: int,
    violation_share: float = 0.1,
    violations: set[str] | None = None,
    fast_track: int = 0,
    injector: Injector | None = None,
) -> SimReport:
    """Play ``days`` training days from ``start_day``; return what was sent and planted.

    ``fast_track`` students per school (the first ones) spend every day on the part-1 theory at
    the daily maximum (120 minutes in the classroom, 120 remote), honestly: three such days
    complete part 1 of the 2016 syllabus, so a demo can follow a student to the exam booking.
    ``injector`` (see :class:`Injector`) adds fraud patterns to otherwise honest sessions.
    """
    unknown = set(violations or ()) - set(CODES)
    if unknown:
        raise ValueError(f"unknown violation codes {sorted(unknown)}; known: {', '.join(CODES)}")
    codes = [c for c in CODES if violations is None or c in violations]
    platnum, schools = prepare(client, world)
    report = SimReport()
    for offset in progress.bar(range(days), desc="training days", unit="day"):
        day = start_day + timedelta(days=offset)
        rng = random.Random(f"{seed}:{day}")
        plans = _plan_day(rng, schools, day, violation_share, codes, fast_track, injector)
        _send(client, platnum, day, plans, report)
        if injector is not None:
            injector.sent(day, plans)
    return report


# --- planning ----------------------------------------------------------------------------------


def _plan_day(
    rng: random.Random,
    schools: list[School],
    day: date,
    share: float,
    codes: list[str],
    fast_track: int = 0,
    injector: Injector | None = None,
) -> list[Plan]:
    cal = Calendar()
    plans: list[Plan] = []
    if injector is not None:
        injector.reserve(cal, schools, day)
    # Plants cycle through the codes. Each day starts where the previous day (about ``stride``
    # plants) left off, so consecutive days cover every code without any state between days.
    stride = max(1, round(share * sum(len(s.students) for s in schools) * 0.9))
    rotation = (day - EPOCH).days * stride
    for school in schools:
        for position, student in enumerate(school.students):
            if student.applydate > day:
                continue
            if position < fast_track:
                for mode in (2, 4):
                    for plan in plants.honest(rng, cal, school, student, day, mode, 1, 120):
                        plan.fast_track = True  # the demo's booking story: keep it honest
                        plans.append(plan)
                continue
            stage = 3 if (day - student.applydate).days >= 30 else 2
            requests = []
            for _ in range(rng.choices((0, 1, 2), (3, 5, 2))[0]):
                practical = rng.random() < 0.65
                mode, part = (1, stage) if practical else ((2, 1) if stage == 2 else (4, 4))
                plant = None
                if codes and rng.random() < share:
                    plant = codes[rotation % len(codes)]
                    rotation += 1
                requests.append((mode, part, rng.randrange(30, 121), plant))
            if any(r[3] == "DAILY_CAP" for r in requests):
                requests = [r for r in requests if r[3] == "DAILY_CAP"][:1]
            for mode, part, minutes, plant in requests:
                made = plants.plant(rng, cal, school, student, day, plant, mode, part, minutes)
                if not made:
                    made = plants.honest(rng, cal, school, student, day, mode, part, minutes)
                plans += made
    if injector is not None:
        injector.add(cal, schools, day, plans)
    plans.sort(key=lambda p: (p.start, p.school.index, p.student.stunum))
    index: Counter[str] = Counter()
    for n, plan in enumerate(plans, start=1):
        plan.classid = f"{day:%y%m%d}{n:04d}"
        if plan.planted == "BEFORE_ENROL":
            plan.recnum = f"{((plan.start.date() - EPOCH).days * 10 + 9) % 100000:05d}"
        else:
            plan.recnum = f"{((day - EPOCH).days * 10 + index[plan.student.stunum]) % 100000:05d}"
            index[plan.student.stunum] += 1
        plants.finish(random.Random(f"{plan.classid}:{plan.student.seed}"), plan)
    if injector is not None:
        injector.finish(day, plans)
    return plans


# --- sending -----------------------------------------------------------------------------------


def _send(
    client: TimingPlatformClient, platnum: str, day: date, plans: list[Plan], report: SimReport
) -> None:
    """Photos, then the day's minutes in time order, then the teaching logs."""
    first_photo: dict[int, tuple[str, str]] = {}
    for n, plan in enumerate(plans):
        ids = [_photo(client, platnum, plan, shot, report) for shot in plan.shots]
        by_event = {s.event: i for s, i in zip(plan.shots, ids, strict=True) if i}
        first_photo[n] = (
            by_event.get(17, plan.student.photo),
            by_event.get(18, plan.student.photo),
        )
    items, owner = _minute_items(day, plans)
    results: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for low in range(0, len(items), BATCH):
        batch = items[low : low + BATCH]
        status, envelope = client.call("minuterecords", batch)
        report.minutes_sent += len(batch)
        if status != 200 or envelope.get("errorcode") != 0:
            report.refused += len(batch)
            report.errors.append(f"minuterecords: HTTP {status} {envelope.get('message')}")
            continue
        for result in envelope["data"]["results"]:
            results[owner[low + result["index"]]].append(result)
    for n, plan in enumerate(plans):
        for result in results[n]:
            kind = result["result"]
            setattr(report, kind, getattr(report, kind) + 1)
            report.duplicates += bool(result.get("duplicate"))
        _log(client, platnum, plan, first_photo[n], report)
        codes = sorted({c for r in results[n] for c in r.get("codes", [])})
        report.sessions.append(SimSession(
            rnum=plan.student.stunum + plan.recnum, stunum=plan.student.stunum,
            day=plan.start.date(), mode=plan.mode, part=plan.part, planted=plan.planted,
            minutes=plan.minutes, start=f"{plan.start:%Y%m%d%H%M%S}",
            accepted=sum(r["result"] == "accepted" for r in results[n]),
            rejected=sum(r["result"] == "rejected" for r in results[n]), ingest_codes=tuple(codes),
            injected=plan.injected, form=plan.form,
        ))  # fmt: skip


def _photo(
    client: TimingPlatformClient, platnum: str, plan: Plan, shot: Shot, report: SimReport
) -> str | None:
    face = plan.student.seed if shot.face is None else shot.face
    if shot.camera:
        content = camera.render(shot.camera, face, shot.image, shot.form, shot.variant)
    else:
        content = render(face, shot.image, shot.variant)
    try:
        fileid = client.upload("stuimg", content)
    except ApiRefused as exc:
        report.errors.append(str(exc))
        return None
    status, envelope = client.call("trainimginfo", {
        "inscode": plan.school.inscode, "stunum": plan.student.stunum, "coachnum": plan.coach,
        "subjcode": plan.subjcode, "platnum": platnum, "recnum": plan.recnum,
        "ptime": f"{shot.at:%Y%m%d%H%M%S}", "fileid": fileid, "event": str(shot.event),
        "confidence": str(shot.confidence),
    })  # fmt: skip
    report.photos_sent += 1
    if status != 200 or envelope.get("errorcode") != 0:
        report.errors.append(f"trainimginfo: HTTP {status} {envelope.get('message')}")
    return fileid


def _minute_items(day: date, plans: list[Plan]) -> tuple[list[dict[str, Any]], list[int]]:
    """Every minute record of the day's sessions in time order, with its owning plan."""
    slots = sorted(
        ((p.start + (i + 1) * MINUTE - timedelta(seconds=1), n, i)
         for n, p in enumerate(plans) for i in range(p.minutes)),
        key=lambda s: (s[0], s[1]),
    )  # fmt: skip
    counters: Counter[tuple[str, date]] = Counter()
    items, owner = [], []
    for at, n, i in slots:
        plan = plans[n]
        key = (plan.devnum, at.date())
        counters[key] += 1
        seq = counters[key]
        if at.date() != day:  # a plant's minute on another day: keep clear of that day's own
            seq += 5000 + (day - EPOCH).days % 40 * 100
        item: dict[str, Any] = {
            "recordnum": f"{plan.devnum}{at:%y%m%d}{seq:04d}", "stunum": plan.student.stunum,
            "coachnum": plan.coach, "classid": plan.classid, "rectime": f"{at:%H%M%S}",
            "subjcode": plan.subjcode, "maxspeed": 0, "mileage": 0,
        }  # fmt: skip
        if plan.fixes:
            fix = plan.fixes[i]
            item["maxspeed"], item["mileage"] = round(fix.max_speed * 10), round(fix.mileage * 10)
            item["gnss"] = {"lng": fix.lng, "lat": fix.lat, "rpm": fix.rpm}
        items.append(item)
        owner.append(n)
    return items, owner


def _log(
    client: TimingPlatformClient, platnum: str, plan: Plan, photos: tuple[str, str],
    report: SimReport,
) -> None:  # fmt: skip
    """The teaching log. A log must name sign-in/out photos; when the plant removed one, the
    student's registration photo stands in (no training photo of that event exists)."""
    km = sum(f.mileage for f in plan.fixes)
    payload = {
        "inscode": plan.school.inscode, "stunum": plan.student.stunum, "coachnum": plan.coach,
        "simunum": plan.devnum, "platnum": platnum, "recnum": plan.recnum,
        "classid": plan.classid, "subjcode": plan.subjcode, "photo1": photos[0],
        "photo3": photos[1], "starttime": f"{plan.start:%Y%m%d%H%M%S}",
        "endtime": f"{plan.end:%Y%m%d%H%M%S}", "duration": str(plan.minutes),
        "mileage": f"{km:.1f}", "avevelocity": f"{km * 60 / plan.minutes:.1f}",
    }  # fmt: skip
    if plan.car is not None:
        payload["carnum"] = plan.car.carnum
    status, envelope = client.call("classrecord", payload)
    report.logs_sent += 1
    if status != 200 or envelope.get("errorcode") != 0:
        report.logs_refused += 1
        report.errors.append(f"classrecord {payload['recnum']}: {envelope.get('message')}")
