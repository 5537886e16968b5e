"""Public holidays that recurring series can skip. The table `PublicHoliday` is what counts; this
list seeds it (data migration) with the 2024 days around the election campaign (domain docs), and
staff add the rest of the year's holidays in the admin."""

from __future__ import annotations

import datetime as dt

HOLIDAYS_2024: tuple[tuple[dt.date, str], ...] = (
    (dt.date(2024, 1, 1), "Tahun Baru Masehi"),
    (dt.date(2024, 2, 8), "Isra Mikraj Nabi Muhammad SAW"),
    (dt.date(2024, 2, 9), "Cuti bersama Tahun Baru Imlek"),
    (dt.date(2024, 2, 10), "Tahun Baru Imlek 2575 Kongzili"),
    (dt.date(2024, 2, 14), "Pemilihan Umum 2024"),
)
