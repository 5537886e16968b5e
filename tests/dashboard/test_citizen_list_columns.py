"""The citizens list: age (and birth date where the role allows), IKD status, dates the Indonesian
way, under-16s not flagged as a gap, and the desa filter following the chosen kecamatan."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.utils import timezone

from regions.models import Desa
from tests.factories import CitizenFactory, citizen_aged

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
RECORDED = dt.datetime(2024, 8, 17, 10, 0, tzinfo=WIB)


def rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>.*?</tr>", body, flags=re.S)


def test_rows_show_age_ikd_and_indonesian_dates(client, operator):
    today = timezone.localdate()
    citizen_aged(16, on=today, full_name="Warga Enam Belas")
    CitizenFactory(
        full_name="Warga Dewasa",
        birth_date=dt.date(1990, 5, 17),
        recorded_at=RECORDED,
        printed_at=RECORDED,
        ikd_activated_at=RECORDED,
    )
    citizen_aged(15, on=today, full_name="Warga Lima Belas")
    client.force_login(operator)
    page = client.get("/dashboard/citizens/").content.decode()
    by_name = {re.search(r">(Warga [^<]+)</a>", r).group(1): r for r in rows(page)}
    adult = by_name["Warga Dewasa"]
    assert re.search(r'data-testid="age">\d+</td>', adult)
    assert adult.count("17 Agu 2024") == 3  # recorded, printed, IKD: Indonesian month names
    assert "1990" not in adult  # an operator does not see birth dates
    assert '<td data-testid="age">16</td>' in by_name["Warga Enam Belas"]
    assert 'class="bad"' in by_name["Warga Enam Belas"]  # 16: may record, not yet recorded
    fifteen = by_name["Warga Lima Belas"]
    assert '<td data-testid="age">15</td>' in fifteen
    assert 'class="bad"' not in fifteen and 'data-testid="under-16"' in fifteen


def test_roles_that_may_see_it_get_the_birth_date(client, supervisor):
    CitizenFactory(full_name="Warga Dewasa", birth_date=dt.date(1990, 5, 17))
    client.force_login(supervisor)
    (row,) = rows(client.get("/dashboard/citizens/").content.decode())
    assert "17 Mei 1990" in row


def test_the_desa_filter_follows_the_chosen_kecamatan(client, supervisor):
    client.force_login(supervisor)
    page = client.get("/dashboard/citizens/", {"kecamatan": "33.19.03"}).content.decode()
    select = re.search(r'<select name="desa"[^>]*>(.*?)</select>', page, flags=re.S).group(1)
    offered = set(re.findall(r'value="([0-9.]+)"', select))
    assert offered == set(Desa.objects.filter(kecamatan_id="33.19.03").values_list("code", flat=True))
    page = client.get("/dashboard/citizens/").content.decode()
    select = re.search(r'<select name="desa"[^>]*>(.*?)</select>', page, flags=re.S).group(1)
    assert len(re.findall(r'value="([0-9.]+)"', select)) == 132
    assert '<script id="desa-kecamatan" type="application/json">' in page
