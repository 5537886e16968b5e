"""A reproducible synthetic population of Kudus for demos and benchmarks.

At the default scale (870,000 residents) the living population holds exactly the figures of the
4 Feb 2024 news as of the reference day: 643,069 wajib KTP of whom 641,171 recorded and 1,898 not,
the unrecorded skewed toward ages 17–21. `citizens=N` keeps the same proportions. Kecamatan are
weighted by the 2024 voter list (DPT), the best public proxy for where wajib-KTP residents live.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from core.access import SUPERVISOR
from core.roles import staff_create
from regions.models import Desa
from registrations.eligibility import age_cutoff, anniversary
from registrations.models import Citizen
from registrations.services.citizens_import import citizens_write_rows

FULL_SCALE = 870_000
NEWS_WAJIB = 643_069
NEWS_RECORDED = 641_171
NEWS_UNRECORDED = NEWS_WAJIB - NEWS_RECORDED  # 1,898
NON_LIVING_SHARE = 0.004  # deceased or moved out, kept in the registry but outside every figure

POPULATION_CSV = Path(__file__).resolve().parent.parent / "data" / "kudus_population.csv"

MALE_NAMES = (
    "Ahmad", "Muhammad", "Moh.", "Budi", "Agus", "Slamet", "Joko", "Bambang", "Eko", "Dwi", "Rizky", "Fajar",
    "Arif", "Hendra", "Wahyu", "Nur", "Sutrisno", "Sugeng", "Ali", "Ma'ruf", "Imam", "Yusuf", "Hasan",
    "Dimas", "Bayu", "Galih", "Ilham", "Aditya", "Rudi", "Teguh",
)  # fmt: skip
FEMALE_NAMES = (
    "Siti", "Sri", "Dewi", "Nur", "Rina", "Ani", "Wulan", "Indah", "Fitri", "Lestari", "Umi", "Nisa",
    "Aisyah", "Putri", "Ayu", "Dian", "Yuni", "Kartika", "Retno", "Endang", "Tri", "Nabila", "Salsabila",
    "Zahra", "Anisa", "Laila", "Rahma", "Fatimah", "Maya", "Novi",
)  # fmt: skip
FAMILY_NAMES = (
    "Santoso", "Wibowo", "Saputra", "Hidayat", "Setiawan", "Prasetyo", "Susanto", "Rahmawati", "Kurniawan",
    "Nugroho", "Haryanto", "Fauzi", "Anwar", "Mahmud", "Sholeh", "Hakim", "Aziz", "Maulana", "Pratama",
    "Lestari", "Wahyuni", "Rohman", "Zaenal", "Mustofa", "Ulfa", "Khasanah", "Riyadi", "Syafi'i",
)  # fmt: skip
SCHOOLS = (
    "SMA Negeri 1 Kudus", "SMA Negeri 2 Kudus", "SMA Negeri 1 Bae", "SMA Negeri 1 Gebog",
    "SMA Negeri 1 Jekulo", "SMA Negeri 2 Bae", "SMK Negeri 1 Kudus", "SMK Negeri 2 Kudus",
    "SMK Negeri 3 Kudus", "SMK NU Ma'arif Kudus", "MA NU Banat Kudus", "MA Qudsiyyah Kudus",
    "MA Negeri 1 Kudus", "MA Negeri 2 Kudus", "SMK Wisudha Karya Kudus", "SMA 1 Muhammadiyah Kudus",
)  # fmt: skip
OTHER_NIK_AREAS = ("337401", "337402", "332001", "332005", "331801", "331807", "332101", "331001")


@dataclass(frozen=True)
class DemoResult:
    citizens: int
    wajib_ktp: int
    recorded: int
    unrecorded: int
    reference_date: dt.date


def kecamatan_weights() -> dict[str, int]:
    """Per-kecamatan DPT 2024 from the shipped population figures."""
    weights: dict[str, int] = {}
    with POPULATION_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["level"] == "kecamatan" and row["metric"] == "dpt_pemilu_2024":
                weights[row["code"]] = int(row["value"])
    return weights


def scaled_targets(citizens: int) -> tuple[int, int, int]:
    """(living, wajib, unrecorded) for a population of `citizens` with the news proportions."""
    non_living = round(citizens * NON_LIVING_SHARE)
    living = citizens - non_living
    wajib = round(citizens * NEWS_WAJIB / FULL_SCALE)
    unrecorded = round(wajib * NEWS_UNRECORDED / NEWS_WAJIB)
    return living, wajib, unrecorded


class _Generator:
    def __init__(self, *, seed: int, today: dt.date, tz: dt.tzinfo):
        self.rng = random.Random(seed)
        self.today = today
        self.tz = tz
        self.serials: dict[str, int] = defaultdict(int)
        desa = list(Desa.objects.values_list("code", "name", "kecamatan_id"))
        if not desa:
            raise RuntimeError("No regions loaded: run `manage.py load_regions` first.")
        by_kecamatan: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for code, name, kecamatan in desa:
            by_kecamatan[kecamatan].append((code, name))
        weights = kecamatan_weights()
        self.kecamatan_codes = sorted(by_kecamatan)
        self.kecamatan_weights = [weights.get(code, 1) for code in self.kecamatan_codes]
        self.desa_by_kecamatan = by_kecamatan

    def birth_date_for_age(self, age: int) -> dt.date:
        """A birth date giving exactly `age` on the reference day."""
        latest = age_cutoff(self.today, age)
        earliest = age_cutoff(self.today, age + 1) + dt.timedelta(days=1)
        return earliest + dt.timedelta(days=self.rng.randint(0, (latest - earliest).days))

    def moment_between(self, start: dt.date, end: dt.date) -> dt.datetime:
        if end < start:
            end = start
        day = start + dt.timedelta(days=self.rng.randint(0, (end - start).days))
        return dt.datetime.combine(day, dt.time(self.rng.randint(8, 14), self.rng.randint(0, 59)), self.tz)

    def person(self, *, age: int, wajib: bool, recorded: bool, married: bool, living: bool = True) -> tuple:
        rng = self.rng
        sex = "L" if rng.random() < 0.5 else "P"
        birth_date = self.birth_date_for_age(age)
        kecamatan = rng.choices(self.kecamatan_codes, self.kecamatan_weights)[0]
        desa_code, desa_name = rng.choice(self.desa_by_kecamatan[kecamatan])
        area6 = kecamatan.replace(".", "") if rng.random() < 0.95 else rng.choice(OTHER_NIK_AREAS)
        day = birth_date.day + (40 if sex == "P" else 0)
        stem = f"{area6}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}"
        self.serials[stem] += 1
        nik = f"{stem}{self.serials[stem]:04d}"
        kk_date = self.moment_between(dt.date(2000, 1, 1), self.today).date()
        kk = f"{kecamatan.replace('.', '')}{kk_date:%d%m%y}{rng.randint(1, 9999):04d}"
        given = rng.choice(MALE_NAMES if sex == "L" else FEMALE_NAMES)
        full_name = f"{given} {rng.choice(FAMILY_NAMES)}"
        if married:
            marital = rng.choices(("kawin", "cerai_hidup", "cerai_mati"), (90, 5, 5))[0]
        else:
            marital = "belum_kawin"
        school = rng.choice(SCHOOLS) if 15 <= age <= 18 and not married and rng.random() < 0.8 else ""
        phone = (
            f"08{rng.randint(1, 9)}{rng.randint(10_000_000, 999_999_999)}"
            if age >= 15 and rng.random() < 0.6
            else ""
        )
        recorded_at = printed_at = ikd_at = ""
        if recorded:
            # e-KTP recording started in 2011; nobody records before 16 unless married.
            start = max(dt.date(2011, 8, 1), anniversary(birth_date, 16))
            moment = self.moment_between(start, self.today - dt.timedelta(days=1))
            recorded_at = moment.isoformat()
            if wajib and rng.random() < 0.985:
                seventeen = max(moment.date(), anniversary(birth_date, 17))
                printed = self.moment_between(seventeen, min(seventeen + dt.timedelta(days=60), self.today))
                printed_at = printed.isoformat()
                if rng.random() < 0.035:
                    ikd_at = self.moment_between(
                        max(printed.date(), dt.date(2022, 10, 1)), self.today
                    ).isoformat()
        address = f"RT {rng.randint(1, 9):02d} RW {rng.randint(1, 12):02d}, {desa_name}"
        birth_place = "Kudus" if rng.random() < 0.9 else rng.choice(("Jepara", "Pati", "Demak", "Semarang"))
        return (
            nik, kk, full_name, sex, birth_place,
            birth_date.isoformat(), marital, desa_code, address, school, phone, "",
            recorded_at, printed_at, ikd_at, living,
        )  # fmt: skip


def _wajib_age(rng: random.Random) -> int:
    # A rough population pyramid over adults: flat to 50, then thinning.
    while True:
        age = rng.randint(17, 90)
        if age <= 50 or rng.random() < max(0.05, 1 - (age - 50) / 40):
            return age


def demo_population_generate(
    *, citizens: int = FULL_SCALE, seed: int = 2024, today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:  # fmt: skip
    """Replace-or-update the demo population (upsert by NIK, so the same seed and day are idempotent)."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    today = today or timezone.localdate()
    gen = _Generator(seed=seed, today=today, tz=tz)
    rng = gen.rng
    living, wajib, unrecorded = scaled_targets(citizens)
    recorded = wajib - unrecorded
    under17 = living - wajib
    married_minors = max(0, round(wajib * 0.0003))
    non_living_niks: list[str] = []

    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as staged:
        writer = csv.writer(staged)
        written = 0

        def emit(row: tuple) -> None:
            nonlocal written
            *values, is_living = row
            writer.writerow(values)
            if not is_living:
                non_living_niks.append(values[0])
            written += 1
            if progress and written % 10_000 == 0:
                progress(10_000)

        # Wajib KTP, recorded (a few married 16-year-olds among them).
        for index in range(recorded):
            if index < married_minors:
                emit(gen.person(age=16, wajib=True, recorded=True, married=True))
                continue
            age = _wajib_age(rng)
            married = rng.random() < (0.9 if age >= 25 else 0.4 if age >= 19 else 0.03)
            emit(gen.person(age=age, wajib=True, recorded=True, married=married))
        # Wajib KTP, not yet recorded: mostly the young.
        for _index in range(unrecorded):
            age = rng.randint(17, 21) if rng.random() < 0.7 else _wajib_age(rng)
            emit(gen.person(age=age, wajib=True, recorded=False, married=age >= 25 and rng.random() < 0.5))
        # Under 17 and unmarried: not wajib; some 16-year-olds have already recorded (print-ready).
        for _index in range(under17):
            age = rng.randint(0, 16)
            emit(gen.person(age=age, wajib=False, recorded=age == 16 and rng.random() < 0.35, married=False))
        # Deceased or moved out: in the registry, outside every figure.
        for _index in range(citizens - living):
            emit(gen.person(age=_wajib_age(rng), wajib=True, recorded=True, married=True, living=False))
        if progress:
            progress(written % 10_000)
        citizens_write_rows(staged)

    _mark_non_living(non_living_niks)
    return DemoResult(
        citizens=citizens, wajib_ktp=wajib, recorded=recorded, unrecorded=unrecorded, reference_date=today
    )


def _mark_non_living(niks: list[str]) -> None:
    """Flag the generated non-living residents: half deceased, half moved out."""
    for start in range(0, len(niks), 500):
        chunk = niks[start : start + 500]
        half = len(chunk) // 2
        Citizen.objects.filter(nik__in=chunk[:half]).update(deceased=True, moved_out=False)
        Citizen.objects.filter(nik__in=chunk[half:]).update(deceased=False, moved_out=True)


def demo_staff_ensure() -> tuple[str, str]:
    """The demo staff login: a supervisor (every kecamatan, no superuser rights: its password is
    public); created, or reset to that role and the configured password."""
    staff_create(
        username=settings.DEMO_STAFF_USERNAME, role=SUPERVISOR, password=settings.DEMO_STAFF_PASSWORD
    )
    return settings.DEMO_STAFF_USERNAME, settings.DEMO_STAFF_PASSWORD
