"""What every HTML page does with a domain error: show it on the form."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from core.exceptions import ApplicationError


def form_add_application_error(
    form: forms.Form,
    error: ApplicationError,
    *,
    field_map: Mapping[str, str] | None = None,
    field: str | None = None,
) -> None:
    """Put a service's `error` on `form`, the way the API puts it in `fields`.

    Each entry of `error.fields` lands on the form field of that name (`field_map` renames the
    service's names to the form's, e.g. {"venue": "venue_name"}); a name the form does not have is
    shown above the form. An error without fields lands on `field` when given (e.g. "slot" for a
    full slot), else above the form.
    """
    field_map = field_map or {}
    if not error.fields:
        form.add_error(field if field in form.fields else None, str(error.message))
        return
    for name, messages in error.fields.items():
        target = field_map.get(name, name)
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            form.add_error(target if target in form.fields else None, str(message))
