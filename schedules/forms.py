"""Shapes of the public forms. The rules (identity, eligibility, capacity) are the services'."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registrations.nik import validate_kk, validate_nik
from schedules.models import PUBLIC_REASON_LABELS, PUBLIC_SERVICE_LABELS, Reason, Slot

PHONE_RE = re.compile(r"^(\+62|62|0)8[0-9]{7,12}$")
MARKUP_RE = re.compile(r"[<>]")

MESSAGES = {
    "markup": _("Remove the characters < and >: only plain text is accepted."),
    "birth_date_future": _("The birth date cannot be in the future."),
    "birth_date_old": _("Enter a birth date after 1900."),
    "phone": _("Enter an Indonesian mobile number, e.g. 081234567890 or +6281234567890."),
    "slot": _("Choose a time from the list."),
    "slot_unknown": _("This time slot does not exist or can no longer be booked. Choose another time."),
}


def reject_markup(value: str) -> None:
    if MARKUP_RE.search(value or ""):
        raise ValidationError(MESSAGES["markup"], code="markup")


def normalize_phone(raw: str) -> str:
    """Spaces, dashes, dots and brackets removed; '+62'/'62' kept (the gateway needs the country)."""
    return re.sub(r"[\s\-().]", "", raw or "")


class SlotChoiceField(forms.ModelChoiceField):
    """The times of ONE session as radio buttons styled as buttons (works without JavaScript); the
    views narrow the queryset to the chosen session, never every slot of every venue."""

    widget = forms.RadioSelect

    def label_from_instance(self, slot: Slot) -> str:
        start, end = slot.local_start, slot.local_end
        return _("%(start)s–%(end)s · %(left)s left") % {
            "start": start.strftime("%H:%M"),
            "end": end.strftime("%H:%M"),
            "left": slot.remaining,
        }


class BookingForm(forms.Form):
    nik = forms.CharField(
        label=_("NIK (16 digits, on your family card)"),
        max_length=32,
        validators=[reject_markup],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )
    kk = forms.CharField(
        label=_("Family card (KK) number (16 digits)"),
        max_length=32,
        validators=[reject_markup],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )
    # Accepted for older links and clients, but not asked for: it is written in the NIK, so it
    # proves nothing (the KK number does).
    birth_date = forms.DateField(
        required=False,
        widget=forms.HiddenInput,
        input_formats=["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"],
    )
    service = forms.ChoiceField(label=_("Service"), choices=list(PUBLIC_SERVICE_LABELS.items()))
    reason = forms.ChoiceField(
        label=_("Reason"), choices=list(PUBLIC_REASON_LABELS.items()), initial=Reason.NEW
    )
    slot = SlotChoiceField(
        label=_("Choose a time"),
        queryset=Slot.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": MESSAGES["slot_unknown"], "required": MESSAGES["slot"]},
    )
    phone = forms.CharField(
        label=_("Mobile phone (optional, for reminders)"),
        max_length=20,
        required=False,
        validators=[reject_markup],
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label=_("E-mail (optional, for reminders)"),
        max_length=254,
        required=False,
        validators=[reject_markup],
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # The manage token of the booking this page will make, signed by the server (double submit).
    form_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    def __init__(self, *args, slots=None, **kwargs):
        super().__init__(*args, **kwargs)
        if slots is not None:
            self.fields["slot"].queryset = slots

    def clean_nik(self) -> str:
        nik = re.sub(r"[\s.\-]", "", self.cleaned_data["nik"])
        validate_nik(nik)
        return nik

    def clean_kk(self) -> str:
        kk = re.sub(r"[\s.\-]", "", self.cleaned_data["kk"])
        validate_kk(kk)
        return kk

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        if value is None:
            return value
        if value > timezone.localdate():
            raise ValidationError(MESSAGES["birth_date_future"], code="birth_date_future")
        if value.year < 1900:
            raise ValidationError(MESSAGES["birth_date_old"], code="birth_date_old")
        return value

    def clean_phone(self) -> str:
        phone = normalize_phone(self.cleaned_data["phone"])
        if phone and not PHONE_RE.match(phone):
            raise ValidationError(MESSAGES["phone"], code="phone")
        return phone

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email:
            EmailValidator(message=_("Enter a valid e-mail address."))(email)
        return email


class FamilyMemberForm(forms.Form):
    """One more member of the same family card: NIK, service and reason (an empty NIK skips the row)."""

    nik = forms.CharField(
        label=_("NIK of the family member"),
        max_length=32,
        required=False,
        validators=[reject_markup],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )
    service = forms.ChoiceField(label=_("Service"), choices=list(PUBLIC_SERVICE_LABELS.items()))
    reason = forms.ChoiceField(
        label=_("Reason"), choices=list(PUBLIC_REASON_LABELS.items()), initial=Reason.NEW
    )

    def clean_nik(self) -> str:
        nik = re.sub(r"[\s.\-]", "", self.cleaned_data["nik"])
        if nik:
            validate_nik(nik)
        return nik


class BaseFamilyFormSet(forms.BaseFormSet):
    def clean(self):
        # The management form takes any integer; a negative count is no list of rows.
        if self.is_bound and self.management_form.cleaned_data.get("TOTAL_FORMS", 0) < 0:
            raise ValidationError(_("The list of family members is not valid. Reload the page."), code="rows")
        super().clean()

    def rows(self) -> list[dict]:
        """The filled rows (a NIK given), in order."""
        return [form.cleaned_data for form in self.forms if form.cleaned_data.get("nik")]


FAMILY_PREFIX = "members"


def family_formset(data=None, *, rows: int = 0, initial: list[dict] | None = None, max_rows: int):
    """The member rows of the booking form (`max_rows` = the family limit minus the first member)."""
    formset_class = forms.formset_factory(
        FamilyMemberForm,
        formset=BaseFamilyFormSet,
        extra=rows,
        max_num=max_rows,
        validate_max=True,
        absolute_max=max_rows,
    )
    return formset_class(data, initial=initial, prefix=FAMILY_PREFIX)


def family_duplicates_error(nik: str, rows: list[dict]) -> ValidationError | None:
    niks = [nik, *(row["nik"] for row in rows)]
    if len(set(niks)) != len(niks):
        return ValidationError(
            _("The same NIK is given twice in this family booking."), code="duplicate_member"
        )
    return None


class FindBookingForm(forms.Form):
    """Find my booking: the NIK and the family card number, nothing else."""

    nik = BookingForm.base_fields["nik"]
    kk = BookingForm.base_fields["kk"]
    clean_nik = BookingForm.clean_nik
    clean_kk = BookingForm.clean_kk


class WaitlistJoinForm(forms.Form):
    """Join the waiting list of a full session: identity (NIK + KK), service, and where the offer goes."""

    nik = BookingForm.base_fields["nik"]
    kk = BookingForm.base_fields["kk"]
    service = BookingForm.base_fields["service"]
    reason = BookingForm.base_fields["reason"]
    phone = forms.CharField(
        label=_("Mobile phone (for the offer)"),
        max_length=20,
        required=False,
        validators=[reject_markup],
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label=_("E-mail (for the offer)"),
        max_length=254,
        required=False,
        validators=[reject_markup],
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    clean_nik = BookingForm.clean_nik
    clean_kk = BookingForm.clean_kk
    clean_phone = BookingForm.clean_phone
    clean_email = BookingForm.clean_email

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("phone") or data.get("email")):
            raise ValidationError(
                _("Give a mobile number or an e-mail address: the offer of a place is sent there."),
                code="contact_required",
            )
        return data


class RescheduleForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=128)
    slot = SlotChoiceField(
        label=_("New time"),
        queryset=Slot.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": MESSAGES["slot_unknown"], "required": MESSAGES["slot"]},
    )

    def __init__(self, *args, slots=None, **kwargs):
        super().__init__(*args, **kwargs)
        if slots is not None:
            self.fields["slot"].queryset = slots


class SessionFilterForm(forms.Form):
    service = forms.ChoiceField(
        label=_("Service"), required=False, choices=[("", _("All services")), *PUBLIC_SERVICE_LABELS.items()]
    )
    kecamatan = forms.ChoiceField(label=_("Kecamatan"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)

    def __init__(self, *args, kecamatan_choices=(), kind_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kecamatan"].choices = [("", _("All kecamatan")), *kecamatan_choices]
        self.fields["kind"].choices = [("", _("All kinds")), *kind_choices]
