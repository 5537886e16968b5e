"""The dashboard's forms: they check the shape of input; the services enforce the rules."""

from __future__ import annotations

import datetime as dt
import secrets

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from blanks.models import StockLocation, StockMovement
from blanks.selectors import locations_visible_to, locations_with_stock
from core.access import DESK_STAFF, MANAGERS, ROLES, kecamatan_scope
from core.bounds import bounded_by
from core.models import AuditEvent
from regions.models import Kecamatan
from registrations.models import ServiceRequest
from registrations.services.corrections import CORRECTABLE_FIELDS
from schedules.models import OutreachSession, Reason, Service, SessionKind

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TargetsFilterForm(forms.Form):
    kecamatan = forms.ModelChoiceField(
        queryset=Kecamatan.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("all"),
        label=gettext_lazy("kecamatan"),
    )
    limit = forms.TypedChoiceField(
        choices=[(n, n) for n in (10, 20, 50, 100)],
        coerce=int,
        required=False,
        empty_value=20,
        initial=20,
        label=gettext_lazy("rows"),
    )

    measure = forms.ChoiceField(
        choices=[
            ("recording", gettext_lazy("Recording")),
            ("printing", gettext_lazy("Printing")),
            ("ikd", gettext_lazy("IKD")),
            ("pemula", gettext_lazy("First-time voters")),
        ],
        required=False,
        initial="recording",
        label=gettext_lazy("ranked by the gap in"),
    )
    until = forms.DateField(
        required=False,
        label=gettext_lazy("turning 16/17 by"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, scope=None, **kwargs):
        super().__init__(*args, **kwargs)
        if scope is not None:
            self.fields["kecamatan"].queryset = Kecamatan.objects.filter(code__in=scope)

    def clean_until(self):
        until = self.cleaned_data.get("until")
        if until is not None and not (dt.date(2000, 1, 1) <= until <= dt.date(2100, 12, 31)):
            raise forms.ValidationError(gettext_lazy("Choose a date between 2000 and 2100."))
        return until


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", gettext_lazy("all")), *AuditEvent.Kind.choices],
        required=False,
        label=gettext_lazy("kind"),
    )
    actor = forms.CharField(required=False, max_length=150, label=gettext_lazy("who"))
    what = forms.CharField(
        required=False, max_length=100, label=gettext_lazy("what"), help_text=gettext_lazy("e.g. citizen 42")
    )
    date = forms.DateField(
        required=False, label=gettext_lazy("date"), widget=forms.DateInput(attrs={"type": "date"})
    )


class StaffForm(forms.Form):
    username = forms.RegexField(regex=r"^[\w.@+-]{3,150}$", label=gettext_lazy("username"))
    email = forms.EmailField(required=False, label=gettext_lazy("e-mail"))
    role = forms.ChoiceField(choices=[(role, role) for role in ROLES], label=gettext_lazy("role"))
    kecamatan = forms.ModelMultipleChoiceField(
        queryset=Kecamatan.objects.all(),
        to_field_name="code",
        required=False,
        label=gettext_lazy("kecamatan"),
        widget=forms.CheckboxSelectMultiple,
    )
    password = forms.CharField(widget=forms.PasswordInput, label=gettext_lazy("password"), strip=False)


TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


WEEKDAYS = [
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
]


class WeekFilterForm(forms.Form):
    week = forms.DateField(required=False, label=gettext_lazy("week of"), widget=DATE_WIDGET)
    kecamatan = forms.ModelChoiceField(
        queryset=Kecamatan.objects.none(),
        to_field_name="code",
        required=False,
        label=gettext_lazy("kecamatan"),
        empty_label=gettext_lazy("all"),
    )
    kind = forms.ChoiceField(
        choices=[("", gettext_lazy("all")), *SessionKind.choices], required=False, label=gettext_lazy("kind")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kecamatan"].queryset = kecamatan_choices(user)


class SessionFieldsForm(forms.Form):
    """What a session and a series have in common. Only the shape is checked here; the service
    (`session_create` / `series_create`) decides the rest and its field errors land on these fields."""

    kind = forms.ChoiceField(choices=SessionKind.choices, label=gettext_lazy("Kind"))
    title = forms.CharField(max_length=150, label=gettext_lazy("Title"))
    venue_name = forms.CharField(max_length=150, label=gettext_lazy("Venue"))
    venue_address = forms.CharField(max_length=255, required=False, label=gettext_lazy("Venue address"))
    kecamatan = forms.ModelChoiceField(
        queryset=Kecamatan.objects.none(), to_field_name="code", label=gettext_lazy("Kecamatan")
    )
    start_time = forms.TimeField(label=gettext_lazy("Start time (WIB)"), widget=TIME_WIDGET)
    end_time = forms.TimeField(label=gettext_lazy("End time (WIB)"), widget=TIME_WIDGET)
    services = forms.MultipleChoiceField(
        choices=Service.choices, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Services")
    )
    desks = forms.IntegerField(min_value=1, max_value=50, initial=1, label=gettext_lazy("Service desks"))
    slot_minutes = forms.IntegerField(
        min_value=5, max_value=240, initial=15, label=gettext_lazy("Slot length (minutes)")
    )
    slot_capacity = forms.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        label=gettext_lazy("Places per slot"),
        help_text=gettext_lazy("Empty: a number per desk, from the settings."),
    )
    published = forms.BooleanField(required=False, initial=True, label=gettext_lazy("Published (bookable)"))
    notes = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}), label=gettext_lazy("Notes")
    )

    # Query parameters that prefill the form (e.g. "plan a session here" from the targets page).
    PREFILL = {"kind": "kind", "kecamatan": "kecamatan", "venue": "venue_name", "title": "title",
               "venue_address": "venue_address"}  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kecamatan"].queryset = kecamatan_choices(user)

    @classmethod
    def initial_from(cls, params) -> dict:
        initial = {"services": [Service.RECORDING, Service.PRINTING, Service.IKD_ACTIVATION]}
        asked = [s for s in (params.get("services") or "")[:100].split(",") if s in Service.values]
        if asked:
            initial["services"] = asked  # the targets page's "plan a session here"
        for param, field in cls.PREFILL.items():
            value = (params.get(param) or "").strip()[:255]
            if value:
                initial[field] = value
        if initial.get("kind") not in SessionKind.values:
            initial.pop("kind", None)
        if "venue_name" in initial and "title" not in initial:
            initial["title"] = initial["venue_name"][:150]
        return initial

    # The service's error keys that are not this form's field names.
    ERROR_FIELDS = {"venue": "venue_name"}

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["services"] = list(data["services"])
        return data


class SessionForm(SessionFieldsForm):
    date = forms.DateField(label=gettext_lazy("Date"), widget=DATE_WIDGET)
    PREFILL = {**SessionFieldsForm.PREFILL, "date": "date"}

    field_order = ["kind", "title", "kecamatan", "venue_name", "venue_address", "date"]


class SeriesForm(SessionFieldsForm):
    start_date = forms.DateField(label=gettext_lazy("First date"), widget=DATE_WIDGET)
    end_date = forms.DateField(label=gettext_lazy("Last date"), widget=DATE_WIDGET)
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Weekdays")
    )
    skip_holidays = forms.BooleanField(
        required=False, initial=True, label=gettext_lazy("Skip public holidays")
    )

    field_order = ["kind", "title", "kecamatan", "venue_name", "venue_address", "start_date", "end_date",
                   "weekdays", "skip_holidays"]  # fmt: skip


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=255, label=gettext_lazy("Reason (sent to the citizens)"), widget=forms.TextInput()
    )


class ScanForm(forms.Form):
    code = forms.CharField(
        max_length=64,
        label=gettext_lazy("Booking code"),
        help_text=gettext_lazy("Type the code or scan the QR code of the booking or of a queue ticket."),
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "data-scan": "",
                "class": "scan-input",
            }
        ),
    )


class WalkInForm(forms.Form):
    nik = forms.RegexField(
        regex=r"^[0-9]{16}$",
        label=gettext_lazy("NIK"),
        error_messages={"invalid": gettext_lazy("NIK must be 16 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    birth_date = forms.DateField(label=gettext_lazy("Birth date"), widget=DATE_WIDGET)
    service = forms.ChoiceField(choices=Service.choices, label=gettext_lazy("Service"), required=False)
    reason = forms.ChoiceField(choices=Reason.choices, initial=Reason.NEW, label=gettext_lazy("Reason"))

    def __init__(self, *args, session: OutreachSession, **kwargs):
        super().__init__(*args, **kwargs)
        # Default: one number for every service the resident needs today (recording → printing → IKD).
        self.fields["service"].choices = [
            ("", gettext_lazy("Every service needed today")),
            *((value, label) for value, label in Service.choices if session.offers(value)),
        ]


class FindResidentForm(forms.Form):
    """The desk's search for a resident who does not know their NIK."""

    nik = forms.RegexField(
        regex=r"^[0-9]{16}$",
        required=False,
        label=gettext_lazy("NIK"),
        error_messages={"invalid": gettext_lazy("NIK must be 16 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    name = forms.CharField(required=False, max_length=100, label=gettext_lazy("Name"))
    birth_date = forms.DateField(required=False, label=gettext_lazy("Birth date"), widget=DATE_WIDGET)
    desa = forms.RegexField(
        regex=r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$",
        required=False,
        label=gettext_lazy("Desa code (optional)"),
        error_messages={"invalid": gettext_lazy("A desa code looks like 33.19.01.2001.")},
    )

    def clean(self):
        data = super().clean()
        if not data.get("nik") and not (data.get("name", "").strip() and data.get("birth_date")):
            raise forms.ValidationError(gettext_lazy("Give the NIK, or the name and the birth date."))
        return data


class CallNextForm(forms.Form):
    desk = forms.IntegerField(min_value=1, max_value=50, initial=1, label=gettext_lazy("Desk"))


def location_choices_for(user):
    """The active stock locations the user may serve from, with their balance (for the selects)."""
    return locations_visible_to(user, locations_with_stock().filter(active=True))


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, location: StockLocation) -> str:
        return _("%(name)s (%(code)s) · %(balance)s blanks") % {
            "name": location.name,
            "code": location.code,
            "balance": location.balance,
        }


class StartForm(forms.Form):
    location = LocationChoiceField(
        queryset=StockLocation.objects.none(),
        to_field_name="code",
        required=False,
        label=gettext_lazy("Serving location"),
        empty_label=gettext_lazy("(not needed / keep)"),
    )

    def __init__(self, *args, user, service_request: ServiceRequest | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = location_choices_for(user)
        if service_request is not None and service_request.location_id:
            self.fields["location"].initial = service_request.location.code


class CompleteForm(StartForm):
    """Completing a printing issues one blank from the serving location: the form asks for it."""


class ReasonForm(forms.Form):
    # Not required here: the service refuses an empty reason with its own (translated) message.
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MovementForm(forms.Form):
    """The shape of a movement; the service checks the rules (quantity, reference, reason, stock)."""

    location = LocationChoiceField(
        queryset=StockLocation.objects.none(), to_field_name="code", label=gettext_lazy("Location")
    )
    quantity = forms.IntegerField(
        **bounded_by(StockMovement, "delta", min_value=1), label=gettext_lazy("Number of blanks")
    )
    reference = forms.CharField(max_length=100, required=False, label=gettext_lazy("Reference"))
    reason = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Reason"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = location_choices_for(user)


class ReceiveForm(MovementForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference"].label = _("Delivery note number")
        self.fields["reference"].help_text = _("Posting the same delivery note twice records it once.")


class TransferForm(MovementForm):
    to_location = LocationChoiceField(
        queryset=StockLocation.objects.none(), to_field_name="code", label=gettext_lazy("To location")
    )

    field_order = ["location", "to_location", "quantity", "reference", "reason"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["location"].label = _("From location")
        self.fields["to_location"].queryset = location_choices_for(user)
        self.fields["reference"].label = _("Transfer slip number")
        self.fields["reference"].help_text = _("Posting the same slip twice records it once.")


class SpoilForm(MovementForm):
    """Spoilage and adjustments carry a reference made when the form is shown (the clerk may replace
    it with a document number), so a double submit posts once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference"].help_text = _(
            "Filled in for you; posting the same reference twice records it once."
        )
        if not self.is_bound:
            token = secrets.token_hex(3).upper()
            self.initial.setdefault("reference", f"F-{timezone.localdate():%Y%m%d}-{token}")


class AdjustForm(SpoilForm):
    quantity = forms.IntegerField(
        **bounded_by(StockMovement, "delta"),
        label=gettext_lazy("Change in stock"),
        help_text=gettext_lazy("Positive when blanks were found, negative when missing."),
    )


# kind in the URL → (form, service call, roles, title)
MOVEMENT_FORMS = {
    "receive": (ReceiveForm, DESK_STAFF, gettext_lazy("Receive blanks")),
    "transfer": (TransferForm, DESK_STAFF, gettext_lazy("Transfer blanks")),
    "spoil": (SpoilForm, DESK_STAFF, gettext_lazy("Write off spoiled blanks")),
    "adjust": (AdjustForm, MANAGERS, gettext_lazy("Adjust after a stock-take")),
}


def kecamatan_choices(user):
    scope = kecamatan_scope(user)
    queryset = Kecamatan.objects.all()
    return queryset if scope is None else queryset.filter(code__in=scope)


class CorrectionRequestForm(forms.Form):
    """A resident's request to correct their data (registrations.services.corrections)."""

    field = forms.ChoiceField(label=gettext_lazy("Data to correct"), choices=())
    requested = forms.CharField(
        label=gettext_lazy("What it should be"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "As the resident asks, with the document that shows it (e.g. the KK or a court order)."
        ),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        choices=ServiceRequest.Channel.choices,
        initial=ServiceRequest.Channel.OFFICE,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = list(CORRECTABLE_FIELDS.items())
