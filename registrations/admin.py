from __future__ import annotations

from django.contrib import admin

from registrations.models import Citizen, Desa, Kabupaten, Kecamatan, StaffAssignment


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
