from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.access import ADMINS, has_role, scope_queryset
from core.audit import audit_record
from core.exceptions import ApplicationError
from core.models import AuditEvent
from registrations.models import Citizen, CoverageRun, ServiceRequest, ServiceRequestEvent
from registrations.selectors import can_see_full_personal_data
from registrations.services.service_requests import (
    service_request_cancel,
    service_request_complete,
    service_request_start,
)

# Shown only to roles with registrations.view_full_nik (like the dashboard and the API).
CITIZEN_PERSONAL_FIELDS = ("nik", "kk", "birth_date", "phone", "email")


@admin.register(Citizen)
class CitizenAdmin(admin.ModelAdmin):
    """Scoped to the user's kecamatan like the dashboard; personal data masked unless the role may
    see it, and every opening of a full record written to the access log."""

    list_display = ["masked_nik", "full_name", "birth_year", "desa", "recorded_at", "printed_at"]
    list_filter = ["desa__kecamatan", "deceased", "moved_out"]
    search_fields = ["=nik", "full_name"]
    raw_id_fields = ["desa"]
    show_full_result_count = False  # a full COUNT over 650k rows on every page is slow
    list_select_related = ["desa"]

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user, "desa__kecamatan")

    # Only admins write residents here, whatever permissions a group was given (core/roles.py): the
    # forms are not scoped to a kecamatan (duplicate-NIK check, the raw desa id).
    @staticmethod
    def _writer(user) -> bool:
        return user.is_superuser or has_role(user, ADMINS)

    def has_add_permission(self, request) -> bool:
        return self._writer(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._writer(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._writer(request.user) and super().has_delete_permission(request, obj)

    def get_exclude(self, request, obj=None):
        if obj is None or can_see_full_personal_data(request.user):
            return super().get_exclude(request, obj)
        return CITIZEN_PERSONAL_FIELDS

    def get_readonly_fields(self, request, obj=None):
        if obj is None or can_see_full_personal_data(request.user):
            return super().get_readonly_fields(request, obj)
        return ["masked_nik", "birth_year"]

    @admin.display(description=_("birth year"))
    def birth_year(self, obj: Citizen) -> int:
        return obj.birth_date.year

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if (
            request.method == "GET"
            and response.status_code == 200
            and can_see_full_personal_data(request.user)
        ):
            audit_record(
                actor=request.user,
                kind=AuditEvent.Kind.REVEAL,
                action="admin citizen detail",
                target=f"citizen {object_id}",
                request=request,
            )
        return response


class ServiceRequestEventInline(admin.TabularInline):
    """The audit trail of a request: read-only, append-only."""

    model = ServiceRequestEvent
    fields = ["at", "from_status", "to_status", "actor", "reason", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _run_on_selected(modeladmin, request, queryset, service, done_message, **kwargs) -> None:
    done = 0
    for service_request in queryset:
        try:
            service(service_request=service_request, actor=request.user, **kwargs)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"#{service_request.pk}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    """Requests are created and moved through their states by the services only (the API, the
    check-in desk and the actions here); admin shows them with their event log."""

    list_display = ["id", "citizen", "service", "reason", "channel", "status", "location", "submitted_at"]
    list_filter = ["status", "service", "channel", "reason", "citizen__desa__kecamatan"]
    search_fields = ["=citizen__nik", "citizen__full_name"]
    list_select_related = ["citizen", "location"]
    date_hierarchy = "submitted_at"
    show_full_result_count = False
    inlines = [ServiceRequestEventInline]
    fields = [
        "citizen",
        "service",
        "reason",
        "channel",
        "status",
        "status_reason",
        "location",
        "submitted_at",
        "submitted_by",
        "started_at",
        "served_by",
        "completed_at",
        "closed_at",
        "notes",
    ]
    readonly_fields = [f for f in fields if f != "notes"]
    actions = ["start_selected", "complete_selected", "cancel_selected"]

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user, "citizen__desa__kecamatan")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Start serving the selected requests"), permissions=["change"])
    def start_selected(self, request, queryset):
        _run_on_selected(self, request, queryset, service_request_start, _("%(count)d request(s) started."))

    @admin.action(description=_("Complete the selected requests"), permissions=["change"])
    def complete_selected(self, request, queryset):
        _run_on_selected(
            self, request, queryset, service_request_complete, _("%(count)d request(s) completed.")
        )

    @admin.action(description=_("Cancel the selected requests"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        _run_on_selected(
            self,
            request,
            queryset,
            service_request_cancel,
            _("%(count)d request(s) cancelled."),
            reason=str(_("Cancelled in the admin.")),
        )


@admin.register(ServiceRequestEvent)
class ServiceRequestEventAdmin(admin.ModelAdmin):
    """The whole audit log, read-only."""

    list_display = ["at", "service_request", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status", "from_status"]
    list_select_related = ["service_request", "actor"]
    date_hierarchy = "at"
    show_full_result_count = False
    raw_id_fields = ["service_request"]

    def get_queryset(self, request):
        return scope_queryset(
            super().get_queryset(request), request.user, "service_request__citizen__desa__kecamatan"
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CoverageRun)
class CoverageRunAdmin(admin.ModelAdmin):
    """Read-only: runs are written by the coverage engine only."""

    list_display = ["id", "computed_at", "reference_date", "duration_ms"]
    date_hierarchy = "computed_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
