from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass
class Page:
    """A page of a long list without a full COUNT: one extra row tells whether a next page exists."""

    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def paginate_without_count(queryset: QuerySet, page: str | int | None, per_page: int = 50) -> Page:
    try:
        number = max(1, min(int(page or 1), 10_000))
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return Page(rows=rows[:per_page], number=number, has_next=len(rows) > per_page)
