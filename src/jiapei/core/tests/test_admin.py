"""The Django admin is for superusers only, and read-only for domain rows."""

from __future__ import annotations

import pytest
from django.test import Client

from jiapei.accounts.models import Role, User


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root", "root@example.invalid", "pw-for-tests-only")


def test_a_regulator_cannot_open_the_admin(changsha_regulator):
    client = Client()
    client.force_login(changsha_regulator)
    reply = client.get("/admin/")
    assert reply.status_code == 302 and "/admin/login/" in reply["Location"]


def test_even_staff_who_are_not_superusers_are_kept_out(make_user):
    staff = make_user(Role.PROVINCE_REGULATOR, "430000", "staffer")
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/").status_code == 302


def test_a_superuser_sees_filings_but_cannot_change_them(superuser, school):
    client = Client()
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200
    listing = client.get("/admin/registry/institution/")
    assert listing.status_code == 200 and school.inscode in listing.content.decode()
    assert client.get("/admin/registry/institution/add/").status_code == 403
