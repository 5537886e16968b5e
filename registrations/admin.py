from __future__ import annotations

from django.contrib import admin

from registrations.models import Citizen, CoverageRun, Desa, Kabupaten, Kecamatan, StaffAssignment


@admin.register(Kabupaten)
class KabupatenAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(Kecamatan)
class KecamatanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kabupaten"]


@admin.register(Desa)
class DesaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "kecamatan"]
    list_filter = ["kecamatan", "kind"]
    search_fields = ["code", "name"]


@admin.register(Citizen)
class CitizenAdmin(admin.ModelAdmin):
    list_display = ["masked_nik", "full_name", "birth_date", "desa", "recorded_at", "printed_at"]
    list_filter = ["desa__kecamatan", "deceased", "moved_out"]
    search_fields = ["=nik", "full_name"]
    raw_id_fields = ["desa"]
    show_full_result_count = False  # a full COUNT over 650k rows on every page is slow
    list_select_related = ["desa"]


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user"]
    filter_horizontal = ["kecamatan"]


@admin.register(CoverageRun)
class CoverageRunAdmin(admin.ModelAdmin):
    """Read-only: runs are written by the coverage engine only."""

    list_display = ["id", "computed_at", "reference_date", "duration_ms"]
    date_hierarchy = "computed_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
