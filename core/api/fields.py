"""Serializer fields shared by the apps' APIs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

WALL_CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


@extend_schema_field(
    {
        "type": "string",
        "pattern": WALL_CLOCK_PATTERN,
        "example": "08:00:00",
        "description": "A WIB (Asia/Jakarta, UTC+07:00) wall-clock time of day, `HH:MM:SS` (`HH:MM` "
        "accepted on input), with no offset: it is sent exactly as entered and never converted.",
    }
)
class WallClockTimeField(serializers.TimeField):
    """A time of day at the place of a session: WIB wall-clock, `HH:MM[:SS]` in, `HH:MM:SS` out.

    An offset on input is refused rather than silently dropped (ISO parsing would drop it), so a
    client that meant UTC learns it at once.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M:%S")
        kwargs.setdefault("input_formats", ["%H:%M:%S", "%H:%M"])
        super().__init__(**kwargs)


class AsciiDateField(serializers.DateField):
    """An ISO date written in ASCII digits only.

    DRF's ISO parsing matches any Unicode digit, so `１９９０-０１-０１` (full-width) would be read as
    1990-01-01 while the HTML forms refuse it; the API refuses it the same way, with the field's
    usual "invalid" message.
    """

    def to_internal_value(self, value):
        if isinstance(value, str) and not value.isascii():
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)
