from __future__ import annotations

from django.contrib import admin

from core.models import AuditEvent, OutboxMessage, StaffAssignment


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "status", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["status", "task"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "kind", "action", "target", "reason", "status_code", "ip_address"]
    list_filter = ["kind", "created_at"]
    search_fields = ["action", "target", "actor__username", "reason"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user"]
    filter_horizontal = ["kecamatan"]
