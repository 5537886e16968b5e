"""Admin: holidays are edited here; everything else is read-only (writes go through the services,
which keep the capacity counters and the audit log right)."""

from __future__ import annotations

from django.contrib import admin

from core.access import scope_queryset
from schedules.models import (
    Appointment,
    OutreachSeries,
    OutreachSession,
    PublicHoliday,
    QueueTicket,
    ScheduleEvent,
    Slot,
)


@admin.register(PublicHoliday)
class PublicHolidayAdmin(admin.ModelAdmin):
    """Local overrides of the national calendar (schedules/holidays.py)."""

    list_display = ["date", "name", "kind"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only, and scoped to the user's kecamatan like the dashboard and the API (operators and
    field staff see their kecamatan only): `kecamatan_path` leads from the model to a kecamatan."""

    kecamatan_path = "kecamatan"

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user, self.kecamatan_path)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SlotInline(admin.TabularInline):
    model = Slot
    fields = ["starts_at", "ends_at", "capacity", "booked", "removed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutreachSession)
class OutreachSessionAdmin(ReadOnlyAdmin):
    list_display = ["date", "start_time", "end_time", "title", "kind", "kecamatan", "status", "published"]
    list_filter = ["kind", "status", "published", "kecamatan"]
    date_hierarchy = "date"
    search_fields = ["title", "venue_name"]
    list_select_related = ["kecamatan"]
    inlines = [SlotInline]


@admin.register(OutreachSeries)
class OutreachSeriesAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "kecamatan", "start_date", "end_date", "skip_holidays"]
    list_filter = ["kind", "kecamatan"]
    list_select_related = ["kecamatan"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    kecamatan_path = "slot__session__kecamatan"
    list_display = ["code", "status", "service", "reason", "slot", "masked_nik", "created_at"]
    list_filter = ["status", "service", "slot__session__kecamatan"]
    search_fields = ["code"]
    list_select_related = ["slot", "citizen"]
    exclude = ["manage_token_hash", "phone", "email"]

    @admin.display(description="NIK")
    def masked_nik(self, obj: Appointment) -> str:
        return obj.citizen.masked_nik


@admin.register(QueueTicket)
class QueueTicketAdmin(ReadOnlyAdmin):
    kecamatan_path = "session__kecamatan"
    list_display = ["session", "number", "service", "status", "desk", "issued_at", "called_at"]
    list_filter = ["status", "service"]
    list_select_related = ["session"]


@admin.register(ScheduleEvent)
class ScheduleEventAdmin(ReadOnlyAdmin):
    kecamatan_path = "session__kecamatan"
    list_display = ["at", "action", "session", "appointment", "from_status", "to_status", "actor", "note"]
    list_filter = ["action"]
    list_select_related = ["session", "appointment", "actor"]
