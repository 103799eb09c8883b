"""Request bodies of the timing-platform filing interface, with the standard's field names
(standards.md §2.2). Types are checked here; meaning (check digits, classes, dates, polygons,
references) is checked by the services, so every entry point applies the same rules."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict

Text = str | None


class WireSchema(Schema):
    # Vendors send numbers for text fields and vice versa; accept both and let services decide.
    model_config = ConfigDict(coerce_numbers_to_str=True, extra="ignore")


class InstitutionIn(WireSchema):
    inscode: Text = None
    district: str
    name: str
    shortname: str
    licnum: str
    licetime: str
    business: str
    creditcode: Text = None
    address: str
    postcode: str
    legal: str
    contact: str
    phone: str
    busiscope: str
    busistatus: str
    level: str
    coachnumber: str
    grasupvnum: str
    safmngnum: str
    tracarnum: str
    classroom: Text = None
    thclassroom: Text = None
    praticefield: str


class PersonIn(WireSchema):
    inscode: str
    name: str
    sex: str
    idcard: str
    mobile: str
    address: Text = None
    photo: Text = None
    fingerprint: Text = None
    drilicence: Text = None
    fstdrilicdate: Text = None
    occupationno: Text = None
    occupationlevel: Text = None
    dripermitted: Text = None
    teachpermitted: Text = None
    employstatus: str
    hiredate: str
    leavedate: Text = None


class CoachIn(PersonIn):
    coachnum: Text = None


class ExaminerIn(PersonIn):
    examnum: Text = None


class SecurityGuardIn(PersonIn):
    secunum: Text = None


class TrainingCarIn(WireSchema):
    inscode: str
    carnum: Text = None
    franum: Text = None
    engnum: Text = None
    licnum: str
    platecolor: str
    photo: Text = None
    manufacture: str
    brand: str
    model: Text = None
    perdritype: str
    buydate: Text = None


class DeviceIn(WireSchema):
    devnum: Text = None
    inscode: Text = None
    termtype: str
    vender: str
    model: str
    imei: str
    sn: str
    cerbase64: Text = None


class BindingIn(WireSchema):
    devnum: str
    carnum: str
    sim: Text = None


class StudentIn(WireSchema):
    inscode: str
    stunum: Text = None
    cardtype: str
    idcard: str
    nationality: str
    name: str
    sex: str
    phone: str
    address: Text = None
    photo: Text = None
    fingerprint: Text = None
    busitype: str
    drilicnum: Text = None
    fstdrilicdate: Text = None
    perdritype: Text = None
    traintype: str
    applydate: str


class TransferIn(WireSchema):
    inscode: str
    stunum: str
    # The student's signed consent (imageup/epdfimg) and its date (YYYYMMDD): required when the
    # student is at a school of another platform.
    consentfile: Text = None
    consentdate: Text = None


class TransferDecisionIn(WireSchema):
    stunum: str
    id: str
    reason: Text = None


class AreaIn(WireSchema):
    inscode: str
    seq: str
    name: Text = None
    address: str
    area: str
    type: str
    vehicletype: str
    polygon: str | list[Any]
    coordtype: Text = None
    totalvehnum: Text = None
    curvehnum: Text = None


class AreaKeyIn(WireSchema):
    inscode: str
    seq: str


class FeeIn(WireSchema):
    inscode: str
    seq: str
    vehicletype: str
    trainningmode: Text = None
    subject: Text = None
    trainningtime: Text = None
    chargemode: Text = None
    paymode: Text = None
    service: Text = None
    price: str
    classcurr: str
    uptime: str


class CoachKeyIn(WireSchema):
    coachnum: str


class ExaminerKeyIn(WireSchema):
    examnum: str


class SecurityGuardKeyIn(WireSchema):
    secunum: str


class CarKeyIn(WireSchema):
    carnum: str


class DeviceKeyIn(WireSchema):
    devnum: str


class StudentKeyIn(WireSchema):
    stunum: str


class InstitutionKeyIn(WireSchema):
    inscode: str


class Envelope(Schema):
    errorcode: int
    message: str
    data: Any = None
