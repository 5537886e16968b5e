"""`/api/v1/citizens/`: the registry for staff clients, scoped to the user's kecamatan."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from core.access import DESK_STAFF
from core.api.errors import error_responses
from core.api.pagination import CursorPagination
from core.api.permissions import roles_permission
from core.audit import audit_list_reveal, audit_record
from core.models import AuditEvent
from registrations.api.serializers import CitizenRefSerializer
from registrations.filters import CitizenFilter
from registrations.models import Citizen
from registrations.nik import mask_nik
from registrations.selectors import can_see_full_personal_data, citizens_visible_to


class CitizenCursorPagination(CursorPagination):
    """Cursor pagination: constant cost at any depth of a 650k-row list."""

    ordering = ("id",)
    page_size = 50


def _mask_tail(value: str, keep: int = 3) -> str:
    return ("•" * max(len(value) - keep, 0) + value[-keep:]) if value else ""


class CitizenSerializer(serializers.ModelSerializer):
    """Personal data (NIK, KK, birth date, phone, e-mail) is masked unless the user may see it."""

    desa = serializers.CharField(source="desa_id", read_only=True, help_text="Kemendagri desa code.")
    kecamatan = serializers.CharField(source="desa.kecamatan_id", read_only=True)
    birth_date = serializers.SerializerMethodField(help_text="ISO date; only the year (YYYY) when masked.")
    # Plain strings: masked values (`•••@•••`, `•••••••••890`) and blanks are not e-mail addresses.
    phone = serializers.CharField(read_only=True, help_text="Masked to the last 3 digits unless allowed.")
    email = serializers.CharField(read_only=True, help_text="Masked unless allowed; empty when unknown.")

    class Meta:
        model = Citizen
        fields = [
            "id", "nik", "kk", "full_name", "sex", "birth_place", "birth_date", "marital_status", "desa",
            "kecamatan", "address", "school", "phone", "email", "deceased", "moved_out", "recorded_at",
            "printed_at", "ikd_activated_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_birth_date(self, citizen: Citizen) -> str:
        if self.context.get("full_data"):
            return citizen.birth_date.isoformat()
        return f"{citizen.birth_date:%Y}"

    def to_representation(self, citizen: Citizen) -> dict:
        data = super().to_representation(citizen)
        # id, nik and full_name exactly as every other answer names a resident.
        data.update(CitizenRefSerializer(citizen, context=self.context).data)
        if not self.context.get("full_data"):
            data["kk"] = mask_nik(citizen.kk)
            data["phone"] = _mask_tail(citizen.phone)
            data["email"] = "•••@•••" if citizen.email else ""
        return data


class RevealReasonSerializer(serializers.Serializer):
    why = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


CITIZEN_EXAMPLE = OpenApiExample(
    "Masked citizen",
    value={
        "id": 1,
        "nik": "3319********0001",
        "kk": "3319********0001",
        "full_name": "Moh. Ali",
        "sex": "L",
        "birth_place": "Kudus",
        "birth_date": "2000",
        "marital_status": "belum_kawin",
        "desa": "33.19.01.2001",
        "kecamatan": "33.19.01",
        "address": "RT 01 RW 02",
        "school": "",
        "phone": "•••••••••890",
        "email": "",
        "deceased": False,
        "moved_out": False,
        "recorded_at": "2018-06-01T09:30:00+07:00",
        "printed_at": None,
        "ikd_activated_at": None,
        "created_at": "2024-02-01T08:00:00+07:00",
        "updated_at": "2024-02-01T08:00:00+07:00",
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List citizens (scoped to your kecamatan)",
        description="Cursor pages ordered by id: follow `next` until it is null (no `count`: counting "
        "650,000 rows on every page is what cursor pages avoid). Filters as on the dashboard.",
        parameters=[
            OpenApiParameter("q", str, description="A full NIK, the start of a NIK, or part of a name."),
        ],
        responses={200: CitizenSerializer(many=True), **error_responses(400, 401, 403)},
        examples=[CITIZEN_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="One citizen (404 outside your kecamatan)",
        description="Users allowed to see full personal data get it unmasked, and the view is written "
        "to the access log; `?why=` records the reason.",
        parameters=[OpenApiParameter("why", str, description="Why you open the full record (access log).")],
        responses={200: CitizenSerializer, **error_responses(401, 403, 404)},
        examples=[CITIZEN_EXAMPLE],
    ),
)
class CitizenViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CitizenSerializer
    # Named residents: staff who serve them; viewers read aggregates only (403).
    permission_classes = [roles_permission(DESK_STAFF)]
    filterset_class = CitizenFilter
    pagination_class = CitizenCursorPagination
    ordering_fields: list = []  # cursor pagination fixes the order (id)

    def get_queryset(self):
        return citizens_visible_to(self.request.user)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context["full_data"] = can_see_full_personal_data(self.request.user)
        return context

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data.get("results", []) if isinstance(response.data, dict) else []
        if can_see_full_personal_data(request.user):
            audit_list_reveal(
                request=request, what="api citizen list", citizen_ids=[row["id"] for row in rows]
            )
        return response

    def retrieve(self, request, *args, **kwargs):
        query = RevealReasonSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        response = super().retrieve(request, *args, **kwargs)
        if can_see_full_personal_data(request.user):
            audit_record(
                actor=request.user,
                kind=AuditEvent.Kind.REVEAL,
                action="api citizen detail",
                target=f"citizen {kwargs.get('pk')}",
                reason=query.validated_data["why"],
                request=request,
            )
        return response
