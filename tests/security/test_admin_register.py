"""No role but admin adds, changes or deletes residents in /admin/ (issue 13): the admin's forms are
not scoped to a kecamatan (duplicate-NIK check, a raw desa id that creates or moves residents
anywhere). Roles keep reading them there, scoped (core/roles.py, registrations/admin.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from core.roles import staff_create
from registrations.models import Citizen
from registrations.nik import encode_nik
from tests.factories import CitizenFactory, desa

pytestmark = pytest.mark.django_db

ADD = "/admin/registrations/citizen/add/"
PASSWORD = "kudus-Test-2024!"


def change_url(citizen) -> str:
    return f"/admin/registrations/citizen/{citizen.pk}/change/"


def resident_form(**overrides) -> dict:
    born = dt.date(2004, 3, 9)
    form = {
        "nik": encode_nik(area6="331903", birth_date=born, sex="L", serial=4321),
        "kk": "3319030101200001",
        "full_name": "Warga Titipan",
        "sex": "L",
        "birth_place": "Kudus",
        "birth_date": born.isoformat(),
        "marital_status": Citizen.MaritalStatus.BELUM_KAWIN,
        "desa": str(desa("33.19.03.2001").pk),
        "address": "RT 02 RW 03",
    }
    return {**form, **overrides}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def resident(regions):
    return CitizenFactory(full_name="Warga Kaliwungu")  # desa 33.19.01.2001


@pytest.mark.parametrize(
    ("role", "kecamatan"), [("operator", ["33.19.01"]), ("supervisor", []), ("field", ["33.19.01"])]
)
def test_other_roles_cannot_add_change_or_move_a_resident_in_the_admin(resident, role, kecamatan):
    client = signed_in(staff_create(username=f"{role}-adm", role=role, kecamatan_codes=kecamatan))
    residents = Citizen.objects.count()

    assert client.get(ADD).status_code == 403
    assert client.post(ADD, resident_form()).status_code == 403
    assert Citizen.objects.count() == residents

    page = client.get(change_url(resident))  # their own kecamatan's resident: read-only
    assert page.status_code == 200
    assert 'name="desa"' not in page.content.decode() and 'name="_save"' not in page.content.decode()
    moved = client.post(change_url(resident), resident_form(nik=resident.nik, kk=resident.kk))
    assert moved.status_code == 403
    resident.refresh_from_db()
    assert resident.desa.code == "33.19.01.2001" and resident.full_name == "Warga Kaliwungu"


def test_the_role_groups_hold_no_write_permission_on_residents(regions):
    staff_create(username="anyone", role="viewer")  # builds the groups
    for role in ("supervisor", "operator", "field", "viewer"):
        codenames = set(
            Group.objects.get(name=role)
            .permissions.filter(content_type__app_label="registrations", content_type__model="citizen")
            .values_list("codename", flat=True)
        )
        assert not codenames & {"add_citizen", "change_citizen", "delete_citizen"}, role


def test_a_group_given_the_rights_by_hand_still_cannot_write_residents_in_the_admin(resident):
    operator = staff_create(username="op-handmade", role="operator", kecamatan_codes=["33.19.01"])
    Group.objects.get(name="operator").permissions.add(
        *Permission.objects.filter(codename__in=["add_citizen", "change_citizen", "delete_citizen"])
    )
    client = signed_in(operator)
    assert client.get(ADD).status_code == 403
    assert (
        client.post(change_url(resident), resident_form(nik=resident.nik, kk=resident.kk)).status_code == 403
    )
    resident.refresh_from_db()
    assert resident.desa.code == "33.19.01.2001"


def test_an_admin_still_adds_a_resident_in_the_admin(regions):
    client = signed_in(staff_create(username="boss-adm", role="admin"))
    assert client.get(ADD).status_code == 200

    response = client.post(ADD, resident_form())

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Citizen.objects.get(full_name="Warga Titipan").desa.code == "33.19.03.2001"
