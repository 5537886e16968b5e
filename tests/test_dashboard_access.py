"""Staff accounts (role groups, the create_staff command, the staff page, logging in) and the citizen
pages' masking, reveal log and escaping. Who may reach which page and object, by role and kecamatan,
is the matrix of tests/test_access_matrix.py."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from core.access import kecamatan_scope
from core.models import AuditEvent
from core.roles import staff_create
from tests.factories import CitizenFactory, desa

PASSWORD = "kudus-Test-2024!"


@pytest.fixture
def operator_kaliwungu(regions):
    return staff_create(username="op1", role="operator", kecamatan_codes=["33.19.01"], password=PASSWORD)


@pytest.fixture
def two_citizens(regions):
    mine = CitizenFactory(full_name="Warga Kaliwungu", desa=desa("33.19.01.2001"))
    other = CitizenFactory(full_name="Warga Jati", desa=desa("33.19.03.2001"), area6="331903")
    return mine, other


def test_migrate_creates_the_five_role_groups(db):
    names = set(Group.objects.values_list("name", flat=True))
    assert names >= {"admin", "supervisor", "operator", "field", "viewer"}


def test_create_staff_reads_the_password_from_stdin(regions, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    call_command("create_staff", "siti", "--role", "operator", "--kecamatan", "33.19.02", "--password-stdin")
    assert "role operator, 33.19.02" in capsys.readouterr().out
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="siti")
    assert user.check_password(PASSWORD) and user.is_staff
    assert kecamatan_scope(user) == frozenset({"33.19.02"})


def test_create_staff_refuses_an_operator_without_kecamatan_and_unknown_codes(regions, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    with pytest.raises(CommandError, match="kecamatan"):
        call_command("create_staff", "x1", "--role", "operator", "--password-stdin")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    with pytest.raises(CommandError, match=r"33\.19\.99"):
        call_command("create_staff", "x2", "--role", "field", "--kecamatan", "33.19.99", "--password-stdin")


def test_create_staff_has_no_password_argument(regions):
    with pytest.raises(CommandError):
        call_command("create_staff", "x3", "--role", "viewer", "--password", PASSWORD)


def test_nik_is_masked_for_operators(client, operator_kaliwungu, two_citizens):
    mine, _other = two_citizens
    client.force_login(operator_kaliwungu)
    page = client.get(f"/dashboard/citizens/{mine.pk}/").content.decode()
    assert mine.nik not in page
    assert mine.masked_nik in page
    assert client.get("/dashboard/citizens/", {"q": mine.nik}).content.decode().count(mine.masked_nik) == 1


def test_supervisor_detail_view_is_logged_as_a_reveal(client, regions, two_citizens):
    from django.contrib.auth.models import Permission

    supervisor = staff_create(username="sup", role="supervisor", password=PASSWORD)
    mine, _other = two_citizens
    if not supervisor.has_perm("registrations.view_full_nik"):
        supervisor.user_permissions.add(Permission.objects.get(codename="view_full_nik"))
    client.force_login(supervisor)
    page = client.get(f"/dashboard/citizens/{mine.pk}/", {"why": "field visit"}).content.decode()
    assert mine.nik in page
    event = AuditEvent.objects.get(kind="reveal")
    assert (event.actor, event.target, event.reason) == (supervisor, f"citizen {mine.pk}", "field visit")


def test_names_are_escaped(client, operator_kaliwungu, regions):
    CitizenFactory(full_name="<script>alert(1)</script>", desa=desa("33.19.01.2001"))
    client.force_login(operator_kaliwungu)
    page = client.get("/dashboard/citizens/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_admin_creates_staff_in_the_dashboard_and_the_change_is_audited(client, regions):
    client.force_login(staff_create(username="boss", role="admin", password=PASSWORD))
    response = client.post(
        "/dashboard/staff/",
        {"username": "field1", "role": "field", "kecamatan": ["33.19.05"], "password": PASSWORD},
    )
    assert response.status_code == 302
    from django.contrib.auth import get_user_model

    created = get_user_model().objects.get(username="field1")
    assert kecamatan_scope(created) == frozenset({"33.19.05"})
    assert AuditEvent.objects.filter(kind="change", action__contains="dashboard:staff").exists()
    assert client.get("/dashboard/audit/").status_code == 200


def test_staff_log_in_with_the_login_form(client, operator_kaliwungu):
    response = client.post("/accounts/login/", {"username": "op1", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_repeated_failed_logins_lock_the_account(client, operator_kaliwungu, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "op1", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "op1", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
