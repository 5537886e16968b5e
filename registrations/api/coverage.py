"""/api/v1/coverage/: coverage toward 100% (public), its history and projection; staff: recompute,
jemput-bola targets and the field export of unrecorded residents (CSV, streamed)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import error_responses
from core.api.permissions import IsStaff
from core.audit import audit_record
from core.exports import export_response
from core.models import AuditEvent
from registrations.coverage import coverage_refresh_request
from registrations.coverage_selectors import (
    EXPORT_COLUMNS,
    area_level,
    area_names,
    coverage_export_rows,
    coverage_history,
    coverage_overview,
    coverage_projection,
    coverage_targets,
)
from registrations.disclosure import (
    public_history_points,
    public_overview,
    public_projection,
    sees_exact_counts,
)
from registrations.models import CoverageSnapshot

COHORT_CHOICES = CoverageSnapshot.Cohort.choices
AREA_CODE_HELP = "Kemendagri code of the kabupaten (33.19), a kecamatan (33.19.01) or a desa (33.19.01.2001)."


# --- Serializers (the documented shapes) -----------------------------------------------------
SMALL_COUNT_HELP = (
    'Public callers: a count from 1 to 4 is the text "<5", and a figure it could be worked out from '
    "(of the same area) is null; staff see exact figures (registrations/disclosure.py)."
)


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "enum": ["<5"]}], "nullable": True})
class PublicCountField(serializers.Field):
    """A count, or "<5" / null for the public (registrations.disclosure)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("help_text", SMALL_COUNT_HELP)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value if isinstance(value, str) else int(value)


class AreaFiguresSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    wajib_ktp = PublicCountField(
        help_text="The base: wajib KTP (cohort `all`) or the cohort's residents. " + SMALL_COUNT_HELP
    )
    recorded = PublicCountField()
    unrecorded = PublicCountField()
    coverage_pct = serializers.FloatField(allow_null=True, help_text="recorded / wajib_ktp, rounded down.")
    printed = PublicCountField()
    printed_pct = serializers.FloatField(allow_null=True)
    ikd_activated = PublicCountField()
    ikd_activated_pct = serializers.FloatField(allow_null=True)


class CohortsSerializer(serializers.Serializer):
    pemula = AreaFiguresSerializer(help_text="First-time voters of the configured election.")
    age_16 = AreaFiguresSerializer(help_text="Unmarried residents aged 16: may record, not yet wajib.")


class CoverageSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    reference_date = serializers.DateField()
    target_pct = serializers.IntegerField()
    kabupaten = AreaFiguresSerializer()
    kecamatan = AreaFiguresSerializer(many=True)
    cohorts = CohortsSerializer()
    desa = AreaFiguresSerializer(many=True, required=False, help_text="Only with `?kecamatan=`.")


class CoverageQuerySerializer(serializers.Serializer):
    kecamatan = serializers.CharField(required=False, max_length=13)


class HistoryPointSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    reference_date = serializers.DateField()
    wajib_ktp = PublicCountField()
    recorded = PublicCountField()
    unrecorded = PublicCountField()
    coverage_pct = serializers.FloatField(allow_null=True)
    printed = PublicCountField()
    ikd_activated = PublicCountField()


class HistoryAreaSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()


class HistorySerializer(serializers.Serializer):
    area = HistoryAreaSerializer()
    cohort = serializers.CharField()
    points = HistoryPointSerializer(many=True)


class HistoryQuerySerializer(serializers.Serializer):
    area = serializers.CharField(max_length=13, help_text=AREA_CODE_HELP)
    cohort = serializers.ChoiceField(choices=COHORT_CHOICES, default="all")
    days = serializers.IntegerField(min_value=1, max_value=400, default=30)


class AreaProjectionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    wajib_ktp = PublicCountField()
    recorded = PublicCountField()
    unrecorded = PublicCountField()
    coverage_pct = serializers.FloatField(allow_null=True)
    daily_rate = serializers.FloatField(help_text="Recordings per day over the recent window.")
    net_daily_change = serializers.FloatField(
        allow_null=True,
        help_text="Fall of `unrecorded` per day in the snapshot history (newcomers included).",
    )
    projected_date = serializers.DateField(allow_null=True, help_text="100% at the recent rate; null if 0.")
    days_left = serializers.IntegerField(help_text="Days after the reference date up to the target date.")
    required_daily = serializers.IntegerField(
        allow_null=True,
        help_text="Recordings per day needed to reach 100% by the target date; null if passed.",
    )
    on_track = serializers.BooleanField(allow_null=True)


class ProjectionSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    reference_date = serializers.DateField()
    target_date = serializers.DateField()
    target_pct = serializers.IntegerField()
    cohort = serializers.CharField()
    recent_days = serializers.IntegerField()
    baseline_reference_date = serializers.DateField(
        allow_null=True, help_text="Reference date of the earlier run the net daily change is measured from."
    )
    kabupaten = AreaProjectionSerializer()
    kecamatan = AreaProjectionSerializer(many=True)


class ProjectionQuerySerializer(serializers.Serializer):
    target_date = serializers.DateField(required=False, help_text="Default: the election date setting.")
    cohort = serializers.ChoiceField(choices=COHORT_CHOICES, default="all")


class RecomputeSerializer(serializers.Serializer):
    task_id = serializers.CharField(allow_null=True, help_text="Null while the broker is unreachable.")
    outbox_id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=["queued", "pending"],
        help_text="`queued`: handed to the task queue; `pending`: the outbox will publish it when the "
        "broker is back (or a scheduled run makes it moot).",
    )


class DesaTargetSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kecamatan_code = serializers.CharField()
    kecamatan = serializers.CharField()
    pemula_unrecorded = serializers.IntegerField()
    eligible_unrecorded = serializers.IntegerField(help_text="Wajib KTP and 16-year-olds not yet recorded.")
    wajib_unrecorded = serializers.IntegerField()
    age_16_unrecorded = serializers.IntegerField()


class SchoolTargetSerializer(serializers.Serializer):
    name = serializers.CharField()
    pemula_unrecorded = serializers.IntegerField()
    eligible_unrecorded = serializers.IntegerField()


class TargetsSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    reference_date = serializers.DateField()
    desa = DesaTargetSerializer(many=True)
    schools = SchoolTargetSerializer(many=True)


class TargetsQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=200, default=20)
    kecamatan = serializers.CharField(required=False, max_length=13)


class ExportQuerySerializer(serializers.Serializer):
    area = serializers.CharField(max_length=13, help_text=AREA_CODE_HELP)


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Permissions -----------------------------------------------------------------------------
class MayExportCitizens(permissions.BasePermission):
    """Named residents go to staff allowed to export citizen lists (supervisors, operators)."""

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("registrations.export_citizens")


# --- Examples (the schema's) ----------------------------------------------------------------
def _figures(code: str, name: str, wajib: int, recorded: int, printed: int, ikd: int) -> dict:
    def pct(part: int) -> float | None:
        return CoverageSnapshot.percent(part, wajib)

    return {
        "code": code, "name": name, "wajib_ktp": wajib, "recorded": recorded,
        "unrecorded": wajib - recorded, "coverage_pct": pct(recorded), "printed": printed,
        "printed_pct": pct(printed), "ikd_activated": ikd, "ikd_activated_pct": pct(ikd),
    }  # fmt: skip


_KABUPATEN = _figures("33.19", "Kabupaten Kudus", 643069, 641171, 640802, 19004)
_KALIWUNGU = _figures("33.19.01", "Kaliwungu", 73254, 73031, 72988, 2101)
COVERAGE_EXAMPLE = OpenApiExample(
    "Kudus on 2 Feb 2024 (one of the nine kecamatan shown)",
    value={
        "run_id": 8812,
        "computed_at": "2024-02-02T16:05:03+07:00",
        "reference_date": "2024-02-02",
        "target_pct": 100,
        "kabupaten": _KABUPATEN,
        "kecamatan": [_KALIWUNGU],
        "cohorts": {
            "pemula": _figures("33.19", "Kabupaten Kudus", 61210, 60311, 60102, 4012),
            "age_16": _figures("33.19", "Kabupaten Kudus", 12877, 7120, 0, 0),
        },
    },
    response_only=True,
)
_POINT = {
    "run_id": 8812, "computed_at": "2024-02-02T16:05:03+07:00", "reference_date": "2024-02-02",
    "wajib_ktp": 643069, "recorded": 641171, "unrecorded": 1898, "coverage_pct": 99.7,
    "printed": 640802, "ikd_activated": 19004,
}  # fmt: skip
HISTORY_EXAMPLE = OpenApiExample(
    "The kabupaten over two days",
    value={
        "area": {"code": "33.19", "name": "Kabupaten Kudus", "level": "kabupaten"},
        "cohort": "all",
        "points": [
            {
                **_POINT,
                "run_id": 8530,
                "computed_at": "2024-02-01T16:05:02+07:00",
                "reference_date": "2024-02-01",
                "recorded": 640998,
                "unrecorded": 2071,
                "coverage_pct": 99.67,
            },
            _POINT,
        ],
    },
    response_only=True,
)
_PROJECTED = {
    "code": "33.19", "name": "Kabupaten Kudus", "wajib_ktp": 643069, "recorded": 641171, "unrecorded": 1898,
    "coverage_pct": 99.7, "daily_rate": 173.5, "net_daily_change": 121.4, "projected_date": "2024-02-13",
    "days_left": 12, "required_daily": 159, "on_track": True,
}  # fmt: skip
PROJECTION_EXAMPLE = OpenApiExample(
    "Toward the election day",
    value={
        "run_id": 8812,
        "computed_at": "2024-02-02T16:05:03+07:00",
        "reference_date": "2024-02-02",
        "target_date": "2024-02-14",
        "target_pct": 100,
        "cohort": "all",
        "recent_days": 14,
        "baseline_reference_date": "2024-01-19",
        "kabupaten": _PROJECTED,
        "kecamatan": [
            {
                **_PROJECTED,
                "code": "33.19.01",
                "name": "Kaliwungu",
                "wajib_ktp": 73254,
                "recorded": 73031,
                "unrecorded": 223,
                "coverage_pct": 99.69,
                "daily_rate": 18.2,
                "net_daily_change": 12.9,
                "projected_date": "2024-02-15",
                "required_daily": 19,
                "on_track": False,
            }
        ],
    },
    response_only=True,
)
RECOMPUTE_EXAMPLE = OpenApiExample(
    "Queued",
    value={"task_id": "5b1f0f1e-1d7c-4c61-9d4e-8a0f9c2b7e11", "outbox_id": 3301, "status": "queued"},
    response_only=True,
    status_codes=["202"],
)
TARGETS_EXAMPLE = OpenApiExample(
    "Where to send the field teams",
    value={
        "run_id": 8812,
        "computed_at": "2024-02-02T16:05:03+07:00",
        "reference_date": "2024-02-02",
        "desa": [
            {
                "code": "33.19.01.2001",
                "name": "Bakalankrapyak",
                "kecamatan_code": "33.19.01",
                "kecamatan": "Kaliwungu",
                "pemula_unrecorded": 41,
                "eligible_unrecorded": 97,
                "wajib_unrecorded": 58,
                "age_16_unrecorded": 39,
            }
        ],
        "schools": [{"name": "SMA Negeri 1 Kudus", "pemula_unrecorded": 23, "eligible_unrecorded": 61}],
    },
    response_only=True,
)


# --- Views -----------------------------------------------------------------------------------
class PublicView(APIView):
    """Open to everyone; staff who authenticate (token or session) get exact small counts."""

    permission_classes = [permissions.AllowAny]


class CoverageView(PublicView):
    @extend_schema(
        summary="Coverage toward 100% (latest run)",
        description="404 `coverage_not_computed` before the first run.",
        parameters=[CoverageQuerySerializer],
        responses={200: CoverageSerializer, **error_responses(400, 404)},
        examples=[COVERAGE_EXAMPLE],
    )
    def get(self, request):
        query = _query(CoverageQuerySerializer, request)
        overview = coverage_overview(kecamatan=query.get("kecamatan"))
        if not sees_exact_counts(request.user):
            overview = public_overview(overview)
        return Response(CoverageSerializer(overview).data)


class CoverageHistoryView(PublicView):
    @extend_schema(
        summary="Coverage history of one area and cohort",
        description="Oldest first: one point per run kept by the history thinning.",
        parameters=[HistoryQuerySerializer],
        responses={200: HistorySerializer, **error_responses(400, 404)},
        examples=[HISTORY_EXAMPLE],
    )
    def get(self, request):
        query = _query(HistoryQuerySerializer, request)
        level = area_level(query["area"])
        points = coverage_history(area_code=query["area"], cohort=query["cohort"], days=query["days"])
        if not sees_exact_counts(request.user):
            points = public_history_points(points, list(HistoryPointSerializer().fields))
        data = {
            "area": {"code": query["area"], "name": area_names().get(query["area"], ""), "level": level},
            "cohort": query["cohort"],
            "points": points,
        }
        return Response(HistorySerializer(data).data)


class CoverageProjectionView(PublicView):
    @extend_schema(
        summary="Projection: when 100% is reached, and the daily rate needed by a target date",
        parameters=[ProjectionQuerySerializer],
        responses={200: ProjectionSerializer, **error_responses(400, 404)},
        examples=[PROJECTION_EXAMPLE],
    )
    def get(self, request):
        query = _query(ProjectionQuerySerializer, request)
        projection = coverage_projection(target_date=query.get("target_date"), cohort=query["cohort"])
        if not sees_exact_counts(request.user):
            projection = public_projection(projection)
        return Response(ProjectionSerializer(projection).data)


class CoverageRecomputeView(APIView):
    # Staff, not read-only viewers (the settings' default permission classes).

    @extend_schema(
        summary="Recompute coverage now (staff)",
        description="Debounced through the outbox: while a refresh is pending, asking again returns it.",
        request=None,
        responses={202: RecomputeSerializer, **error_responses(401, 403)},
        examples=[RECOMPUTE_EXAMPLE],
    )
    def post(self, request):
        message = coverage_refresh_request(actor=request.user, now=timezone.now())
        body = {
            "task_id": message.task_id or None,
            "outbox_id": message.pk,
            "status": "pending" if message.status == message.Status.PENDING else "queued",
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


class CoverageTargetsView(APIView):
    # Staff (the settings' default): aggregates, so viewers may read them too.

    @extend_schema(
        summary="Jemput-bola targets: desa and schools by unrecorded residents, first-time voters first",
        parameters=[TargetsQuerySerializer],
        responses={200: TargetsSerializer, **error_responses(400, 401, 403, 404)},
        examples=[TARGETS_EXAMPLE],
    )
    def get(self, request):
        query = _query(TargetsQuerySerializer, request)
        targets = coverage_targets(user=request.user, limit=query["limit"], kecamatan=query.get("kecamatan"))
        return Response(TargetsSerializer(targets).data)


class CoverageExportView(APIView):
    permission_classes = [IsStaff, MayExportCitizens]

    def perform_content_negotiation(self, request, force=False):
        # The body is CSV whatever the Accept header says; errors fall back to the JSON shape.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        summary="CSV of the unrecorded eligible residents of an area (field teams)",
        description=(
            "Streamed CSV (UTF-8 with a byte-order mark, as the dashboard's exports), first-time voters "
            "first. NIKs are masked unless the user has the `registrations.view_full_nik` permission. "
            "Text a spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a "
            "carriage return) is prefixed with `'`. Scoped staff get 404 outside their kecamatan."
        ),
        parameters=[ExportQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV with a header row."),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request):
        query = _query(ExportQuerySerializer, request)
        full_nik = request.user.has_perm("registrations.view_full_nik")
        rows = coverage_export_rows(area_code=query["area"], user=request.user, full_nik=full_nik)
        # Who exported what goes to the audit trail (personal data law); the rows themselves never do.
        audit_record(
            actor=request.user,
            kind=AuditEvent.Kind.EXPORT,
            action="api coverage unrecorded export" + (" (full NIK)" if full_nik else ""),
            target=f"area {query['area']}",
            request=request,
            status_code=200,
        )
        filename = f"belum-rekam-{query['area']}-{timezone.localdate():%Y%m%d}"
        return export_response(rows, EXPORT_COLUMNS, filename, "csv")
