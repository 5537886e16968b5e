from __future__ import annotations

import datetime as dt

from schedules.demo import schedules_demo_seed
from schedules.models import OutreachSession
from schedules.selectors import sessions_public

WIB = dt.timezone(dt.timedelta(hours=7))


def test_the_demo_has_the_campaign_and_bookable_sessions_and_is_idempotent(regions):
    today = dt.date(2025, 3, 3)  # a Monday
    summary = schedules_demo_seed(today=today)
    assert "campaign" in summary
    campaign = OutreachSession.objects.filter(date__range=(dt.date(2024, 2, 4), dt.date(2024, 2, 14)))
    cfd = campaign.filter(kind="cfd")
    assert sorted(cfd.values_list("date", flat=True)) == [dt.date(2024, 2, 4), dt.date(2024, 2, 11)]
    assert {(s.start_time, s.end_time) for s in cfd} == {(dt.time(6), dt.time(9))}
    kecamatan = campaign.filter(kind="kecamatan")
    assert kecamatan.values("kecamatan").distinct().count() == 9
    holidays = {dt.date(2024, 2, day) for day in (8, 9, 10, 14)}
    assert not campaign.filter(date__in=holidays).exists()
    assert set(kecamatan.values_list("date", flat=True)) == {
        dt.date(2024, 2, d) for d in (4, 5, 6, 7, 11, 12, 13)
    }
    assert set(campaign.filter(kind="school").values_list("date", flat=True)) == {
        dt.date(2024, 2, 12),
        dt.date(2024, 2, 13),
    }
    assert campaign.filter(kind="office").count() == 5
    now = dt.datetime(2025, 3, 3, 7, 0, tzinfo=WIB)
    assert sessions_public(now=now).filter(remaining__gt=0).count() >= 10

    count = OutreachSession.objects.count()
    schedules_demo_seed(today=today)
    assert OutreachSession.objects.count() == count
