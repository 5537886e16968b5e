"""The range of numbers a database column holds, for the fields that take a number from outside.

A number outside its column's range must be a 400 naming the field, never a database error (a 500):
serializer and form fields that feed a column take their `min_value`/`max_value` from here.
(ModelSerializer and ModelForm fields get the same range from the model field's validators.)
"""

from __future__ import annotations

from django.db import connection


def column_range(model, field_name: str) -> tuple[int | None, int | None]:
    """(lowest, highest) value the column of `model.field_name` holds on this database."""
    field = model._meta.get_field(field_name)
    return connection.ops.integer_field_range(field.get_internal_type())


def bounded_by(model, field_name: str, *, min_value: int | None = None) -> dict[str, int | None]:
    """`min_value`/`max_value` keyword arguments for a serializer or form field that feeds the
    column; `min_value` narrows the column's own lower bound (e.g. 1 for a count of blanks)."""
    lowest, highest = column_range(model, field_name)
    if min_value is not None:
        lowest = min_value if lowest is None else max(lowest, min_value)
    return {"min_value": lowest, "max_value": highest}
