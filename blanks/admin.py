from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from blanks.models import StockAlert, StockLocation, StockMovement
from blanks.selectors import forecast_of, locations_visible_to, locations_with_stock, movements_visible_to
from blanks.services import stock_location_create


@admin.register(StockLocation)
class StockLocationAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "kecamatan",
        "balance",
        "low_stock_threshold",
        "days_of_cover",
        "active",
    ]
    list_filter = ["kind", "active", "kecamatan"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "kind", "kecamatan", "low_stock_threshold", "min_days_of_cover", "active"]

    def get_queryset(self, request):
        return locations_visible_to(request.user, locations_with_stock())

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    @admin.display(description=_("balance"), ordering="balance")
    def balance(self, obj) -> int:
        return obj.balance

    @admin.display(description=_("days of cover"))
    def days_of_cover(self, obj):
        days = forecast_of(obj).days_of_cover
        return "-" if days is None else days

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new location gets its balance row through the service.
        created = stock_location_create(
            **{name: form.cleaned_data[name] for name in self.fields if name != "active"}
        )
        obj.pk = created.pk

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the ledger refers to it; deactivate instead


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """The ledger, read-only: corrections are new movements (API or services), never edits."""

    list_display = [
        "created_at",
        "kind",
        "location",
        "delta",
        "balance_after",
        "reference",
        "service_request",
        "actor",
    ]
    list_filter = ["kind", "location"]
    search_fields = ["reference"]
    list_select_related = ["location", "actor", "service_request"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_queryset(self, request):
        return movements_visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StockAlert)
class StockAlertAdmin(admin.ModelAdmin):
    list_display = [
        "raised_at",
        "location",
        "balance",
        "threshold",
        "days_of_cover",
        "emailed_at",
        "resolved_at",
    ]
    list_filter = ["location", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["location"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
