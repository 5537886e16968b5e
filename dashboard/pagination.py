from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, F, Func, Q, QuerySet


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


@dataclass
class KeysetPage:
    """A page reached by Next/Previous links that carry the id of the row they continue from
    (`after=` / `before=`): every page costs the same, page 2,000 as page 1 (no OFFSET)."""

    rows: list
    number: int
    has_next: bool
    has_previous: bool

    @property
    def next_after(self) -> int | None:
        return self.rows[-1].pk if self.rows else None

    @property
    def previous_before(self) -> int | None:
        return self.rows[0].pk if self.rows else None

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return max(1, self.number - 1)


def _int_or_none(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def paginate_keyset(
    queryset: QuerySet,
    *,
    key: str,
    after=None,
    before=None,
    number=None,
    per_page: int = 50,
    sort_matches: bool = False,
) -> KeysetPage:
    """The page of `queryset` ordered by (`key`, id) after (or before) the row with id `after`
    (`before`); the anchor row is looked up in `queryset` itself, so an id outside the user's
    scope or the current filters simply starts again at page 1. URLs carry ids, never names.

    `sort_matches`: sort the matching rows instead of walking the `key` index. For a selective
    filter served by another index (a name search through the trigram index) PostgreSQL would
    otherwise walk the name index from the top, filtering most of the table before it finds 50.
    """
    after, before = _int_or_none(after), _int_or_none(before)
    number = _int_or_none(number) or 1
    order_key = F(key)
    if sort_matches:
        # Same values, but an expression the btree on `key` cannot serve.
        order_key = Func(F(key), template="(%(expressions)s || '')", output_field=CharField())
    anchor_pk = after or before
    anchor = queryset.filter(pk=anchor_pk).values_list(key, "pk").first() if anchor_pk else None
    if anchor is None:
        rows = list(queryset.order_by(order_key.asc(), "pk")[: per_page + 1])
        return KeysetPage(rows=rows[:per_page], number=1, has_next=len(rows) > per_page, has_previous=False)
    value, pk = anchor
    if after:
        # `key >= value` lets the index start at the anchor; the OR drops the anchor's equals before it.
        following = queryset.filter(Q(**{f"{key}__gte": value}) & (Q(**{f"{key}__gt": value}) | Q(pk__gt=pk)))
        rows = list(following.order_by(order_key.asc(), "pk")[: per_page + 1])
        return KeysetPage(
            rows=rows[:per_page], number=number, has_next=len(rows) > per_page, has_previous=True
        )
    preceding = queryset.filter(Q(**{f"{key}__lte": value}) & (Q(**{f"{key}__lt": value}) | Q(pk__lt=pk)))
    rows = list(preceding.order_by(order_key.desc(), "-pk")[: per_page + 1])
    more_before = len(rows) > per_page
    return KeysetPage(
        rows=rows[:per_page][::-1],
        number=number if more_before else 1,
        has_next=True,
        has_previous=more_before,
    )
