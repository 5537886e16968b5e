"""Pieces of a resident's data export (UU 27/2022 Art. 7, the right of access) that the platform
holds: a row as plain JSON-ready values, and the access-log entries that name a resident."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from django.db import models
from django.db.models import Q

from core.models import AuditEvent


def plain(value):
    """A field value as JSON holds it (dates ISO 8601, decimals and UUIDs as text)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def row_of(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> dict:
    """Every concrete field of `instance` (a foreign key as its id), but those in `exclude`."""
    row = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        row[field.name] = plain(getattr(instance, field.attname))
    return row


def audit_entries_about(*, citizen_id: int, request_ids: list[int], extra_targets: list[str]) -> list[dict]:
    """Access-log and audit entries that name the resident: reveals and changes of their record
    ("citizen 42", or one of the ids of a list "citizen 4, 9, 42 (+3 more)"), changes of their
    service requests, and the `extra_targets` given (e.g. the key of their failed identity checks).
    An entry that named them among "(+N more)" cannot be told apart and is not listed."""
    about = Q(target__regex=rf"(^|, )citizen ([0-9]+, )*{int(citizen_id)}([^0-9]|$)")
    if request_ids:
        ids = "|".join(str(int(pk)) for pk in request_ids)
        about |= Q(action__icontains="request", target__regex=rf"(^|, )pk=({ids})($|,)")
    if extra_targets:
        about |= Q(target__in=extra_targets)
    events = AuditEvent.objects.filter(about).select_related("actor").order_by("created_at", "id")
    return [
        {
            "when": plain(event.created_at),
            "kind": event.kind,
            "action": event.action,
            "target": event.target,
            "by": event.actor.get_username() if event.actor else None,
            "why": event.reason,
            "status": event.status_code,
        }
        for event in events
    ]
