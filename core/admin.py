from __future__ import annotations

from django.contrib import admin
from knox.admin import AuthTokenAdmin as KnoxAuthTokenAdmin
from knox.models import AuthToken

from core.models import AuditEvent, OutboxMessage, StaffAssignment

# API tokens are issued by POST /api/v1/auth/token/ only, always with an expiry (core/tokens.py):
# the admin lists and deletes (revokes) them, and knox's add form, whose expiry may be left empty
# (a token that never expires), is not offered.
admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(KnoxAuthTokenAdmin):
    list_display = ("token_key", "user", "created", "expiry")
    readonly_fields = ("token_key", "user", "created", "expiry")
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


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
