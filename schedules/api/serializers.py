"""Shapes of the schedules API. Input serializers check shape only; the services enforce rules."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import AsciiDateField, WallClockTimeField
from core.bounds import bounded_by
from registrations.api.serializers import CitizenRefSerializer
from registrations.nik import validate_kk, validate_nik
from schedules.forms import MARKUP_RE, PHONE_RE, normalize_phone
from schedules.forms import MESSAGES as FORM_MESSAGES
from schedules.models import (
    Appointment,
    OutreachSeries,
    OutreachSession,
    QueueTicket,
    Reason,
    Service,
    SessionKind,
    Slot,
)

SESSION_DATES = (dt.date(2000, 1, 1), dt.date(2099, 12, 31))
MSG_SESSION_DATE = _("Choose a date from 2000 to 2099.")


def _no_markup(value: str) -> str:
    if MARKUP_RE.search(value or ""):
        raise serializers.ValidationError(FORM_MESSAGES["markup"], code="markup")
    return value


class SlotSerializer(serializers.ModelSerializer):
    start = serializers.DateTimeField(source="starts_at")
    end = serializers.DateTimeField(source="ends_at")
    remaining = serializers.IntegerField()
    open = serializers.SerializerMethodField()

    class Meta:
        model = Slot
        fields = ["id", "start", "end", "capacity", "booked", "remaining", "open"]

    def get_open(self, slot: Slot) -> bool:
        return slot.removed_at is None


class SessionSerializer(serializers.ModelSerializer):
    venue = serializers.CharField(source="venue_name")
    start_time = WallClockTimeField()
    end_time = WallClockTimeField()
    kecamatan = serializers.CharField(source="kecamatan_id")
    kecamatan_name = serializers.CharField(source="kecamatan.name")
    services = serializers.ListField(child=serializers.ChoiceField(choices=Service.choices))
    slots = serializers.SerializerMethodField()

    class Meta:
        model = OutreachSession
        fields = [
            "id",
            "kind",
            "title",
            "venue",
            "venue_address",
            "latitude",
            "longitude",
            "kecamatan",
            "kecamatan_name",
            "date",
            "start_time",
            "end_time",
            "services",
            "desks",
            "slot_minutes",
            "slot_capacity",
            "published",
            "status",
            "notes",
            "series",
            "slots",
        ]

    @extend_schema_field(SlotSerializer(many=True))
    def get_slots(self, session: OutreachSession) -> list:
        slots = getattr(session, "open_slots", None)
        if slots is None:
            slots = session.slots.order_by("starts_at")
        return SlotSerializer(slots, many=True).data


class PublicSessionSerializer(SessionSerializer):
    """A session as the public sees it: without the staff's `notes`."""

    class Meta(SessionSerializer.Meta):
        fields = [name for name in SessionSerializer.Meta.fields if name != "notes"]


class _SessionInputFields(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SessionKind.choices)
    title = serializers.CharField(max_length=150, validators=[_no_markup])
    venue = serializers.CharField(max_length=150, validators=[_no_markup])
    venue_address = serializers.CharField(
        max_length=255, required=False, default="", allow_blank=True, validators=[_no_markup]
    )
    latitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        required=False,
        allow_null=True,
        default=None,
        min_value=-90,
        max_value=90,
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        required=False,
        allow_null=True,
        default=None,
        min_value=-180,
        max_value=180,
    )
    kecamatan = serializers.RegexField(r"^33\.19\.\d{2}$", help_text="Kemendagri code, e.g. 33.19.02.")
    start_time = WallClockTimeField()
    end_time = WallClockTimeField()
    services = serializers.ListField(
        child=serializers.ChoiceField(choices=Service.choices), allow_empty=False, max_length=3
    )
    desks = serializers.IntegerField(min_value=1, max_value=50, default=1)
    slot_minutes = serializers.IntegerField(min_value=5, max_value=240, default=15)
    slot_capacity = serializers.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        allow_null=True,
        default=None,
        help_text="Places per slot; default desks × SCHEDULES_PLACES_PER_DESK.",
    )
    published = serializers.BooleanField(default=True)
    notes = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class SessionDateField(serializers.DateField):
    """A session date as staff enter it: a real planning date, 2000–2099 (a year-0224 session
    would be stored, then shown with the local mean time offset of old Batavia)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "A date from 2000-01-01 to 2099-12-31.")
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not SESSION_DATES[0] <= day <= SESSION_DATES[1]:
            raise serializers.ValidationError(MSG_SESSION_DATE, code="date_range")
        return day


class SessionCreateSerializer(_SessionInputFields):
    date = SessionDateField()


class SessionUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=150, required=False, validators=[_no_markup])
    venue = serializers.CharField(max_length=150, required=False, validators=[_no_markup])
    venue_address = serializers.CharField(
        max_length=255, required=False, allow_blank=True, validators=[_no_markup]
    )
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    published = serializers.BooleanField(required=False)


class SessionCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)


class SessionCancelResultSerializer(serializers.Serializer):
    session = SessionSerializer()
    cancelled_appointments = serializers.IntegerField()


class SlotRemoveResultSerializer(serializers.Serializer):
    slot = SlotSerializer()
    cancelled_appointments = serializers.IntegerField()


class SeriesCreateSerializer(_SessionInputFields):
    start_date = SessionDateField()
    end_date = SessionDateField()
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        allow_empty=False,
        max_length=7,
        help_text="0 = Monday … 6 = Sunday.",
    )
    skip_holidays = serializers.BooleanField(default=True)


class SeriesSerializer(serializers.ModelSerializer):
    venue = serializers.CharField(source="venue_name")
    start_time = WallClockTimeField()
    end_time = WallClockTimeField()
    kecamatan = serializers.CharField(source="kecamatan_id")
    services = serializers.ListField(child=serializers.ChoiceField(choices=Service.choices))
    sessions = serializers.SerializerMethodField()

    class Meta:
        model = OutreachSeries
        fields = [
            "id",
            "kind",
            "title",
            "venue",
            "venue_address",
            "kecamatan",
            "start_date",
            "end_date",
            "weekdays",
            "skip_holidays",
            "start_time",
            "end_time",
            "services",
            "desks",
            "slot_minutes",
            "slot_capacity",
            "published",
            "sessions",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.DateField()))
    def get_sessions(self, series: OutreachSeries) -> list:
        return [session.date.isoformat() for session in series.sessions.order_by("date")]


class BookingSerializer(serializers.Serializer):
    nik = serializers.CharField(max_length=32, validators=[_no_markup])
    kk = serializers.CharField(
        max_length=32, validators=[_no_markup], help_text="The family card (KK) number: 16 digits."
    )
    birth_date = AsciiDateField(
        required=False, help_text="Accepted but not needed: it is written in the NIK and proves nothing."
    )
    service = serializers.ChoiceField(choices=Service.choices)
    reason = serializers.ChoiceField(choices=Reason.choices)
    slot = serializers.IntegerField(**bounded_by(Slot, "id", min_value=1))
    phone = serializers.CharField(
        max_length=20, required=False, default="", allow_blank=True, validators=[_no_markup]
    )
    email = serializers.EmailField(max_length=254, required=False, default="", allow_blank=True)

    def validate_nik(self, value: str) -> str:
        value = value.replace(" ", "")
        validate_nik(value)
        return value

    def validate_kk(self, value: str) -> str:
        value = value.replace(" ", "")
        validate_kk(value)
        return value

    def validate_birth_date(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(FORM_MESSAGES["birth_date_future"], code="birth_date_future")
        return value

    def validate_phone(self, value: str) -> str:
        phone = normalize_phone(value)
        if phone and not PHONE_RE.match(phone):
            raise serializers.ValidationError(FORM_MESSAGES["phone"], code="phone")
        return phone

    def validate_slot(self, value: int) -> Slot:
        slot = Slot.objects.select_related("session").filter(pk=value).first()
        if slot is None:
            raise serializers.ValidationError(FORM_MESSAGES["slot_unknown"], code="slot_unknown")
        return slot


class SlotRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    start = serializers.DateTimeField(source="starts_at")
    end = serializers.DateTimeField(source="ends_at")


class SessionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    venue = serializers.CharField(source="venue_name")
    venue_address = serializers.CharField()
    kecamatan = serializers.CharField(source="kecamatan_id")
    date = serializers.DateField()
    status = serializers.CharField()


class AppointmentSerializer(serializers.ModelSerializer):
    slot = SlotRefSerializer()
    session = SessionRefSerializer(source="slot.session")
    citizen = CitizenRefSerializer(
        help_text="The resident; `id` and `full_name` are null when read with the manage token."
    )
    queue_number = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = [
            "code",
            "status",
            "service",
            "reason",
            "slot",
            "session",
            "citizen",
            "created_at",
            "cancelled_at",
            "cancel_reason",
            "checked_in_at",
            "queue_number",
        ]

    def get_queue_number(self, appointment: Appointment) -> int | None:
        ticket = getattr(appointment, "ticket", None) if hasattr(appointment, "ticket") else None
        return ticket.number if ticket else None


class AppointmentCreatedSerializer(serializers.Serializer):
    code = serializers.CharField()
    manage_token = serializers.CharField(help_text="Secret for GET/cancel/reschedule; shown only once.")
    status = serializers.CharField()
    slot = SlotRefSerializer()
    session = SessionRefSerializer()
    service = serializers.CharField()


class FindBookingSerializer(serializers.Serializer):
    nik = serializers.CharField(max_length=32, validators=[_no_markup])
    kk = serializers.CharField(
        max_length=32, validators=[_no_markup], help_text="The family card (KK) number: 16 digits."
    )
    validate_nik = BookingSerializer.validate_nik
    validate_kk = BookingSerializer.validate_kk


class FindBookingAnswerSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ManageTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=128, required=False, help_text="The manage token (or ?token=).")


class RescheduleSerializer(ManageTokenSerializer):
    slot = serializers.IntegerField(**bounded_by(Slot, "id", min_value=1))


class QueueTicketSerializer(serializers.ModelSerializer):
    code = serializers.CharField(
        source="appointment.code", default=None, allow_null=True, help_text="Booking code; null for walk-ins."
    )
    session = serializers.IntegerField(source="session_id")
    service_request = serializers.IntegerField(source="service_request_id", default=None, allow_null=True)

    class Meta:
        model = QueueTicket
        fields = [
            "number",
            "session",
            "code",
            "service",
            "status",
            "desk",
            "issued_at",
            "called_at",
            "service_request",
        ]


class WalkInSerializer(serializers.Serializer):
    nik = serializers.CharField(max_length=32, validators=[_no_markup])
    birth_date = AsciiDateField()
    service = serializers.ChoiceField(choices=Service.choices)
    reason = serializers.ChoiceField(choices=Reason.choices)

    validate_nik = BookingSerializer.validate_nik


class CallNextSerializer(serializers.Serializer):
    desk = serializers.IntegerField(min_value=1, max_value=50)


class PublicQueueTicketSerializer(serializers.ModelSerializer):
    """A number on the public display: the number and its desk, nothing that names a booking."""

    class Meta:
        model = QueueTicket
        fields = ["number", "desk"]


class QueueSerializer(serializers.Serializer):
    serving = PublicQueueTicketSerializer(many=True)
    waiting = serializers.ListField(child=serializers.IntegerField())
    waiting_count = serializers.IntegerField()
    done_count = serializers.IntegerField()
