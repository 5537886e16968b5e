"""/api/v1/service-requests/: list, create, retrieve, and the workflow actions.

Every action returns the updated request with its event log. Operators and field staff see only
requests of citizens in their kecamatan (others are 404); viewers have no access.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from blanks.models import StockLocation
from blanks.selectors import locations_visible_to
from kudus_capil.api import error_responses
from kudus_capil.api_filters import local_day_bounds
from registrations.api.permissions import SERVICE_ROLES, role_permission
from registrations.models import ServiceRequest, ServiceRequestEvent
from registrations.selectors import citizen_by_nik_visible_to, service_requests_visible_to
from registrations.services.service_requests import (
    service_request_cancel,
    service_request_complete,
    service_request_create,
    service_request_reject,
    service_request_start,
)

MSG_UNKNOWN_CITIZEN = _("No citizen with this NIK in your area.")
MSG_UNKNOWN_LOCATION = _("No stock location with this code.")


# --- Serializers -----------------------------------------------------------------------------


class ServiceRequestEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ServiceRequestEvent
        fields = ["id", "at", "from_status", "to_status", "actor", "reason", "detail"]


class ServiceRequestCitizenSerializer(serializers.Serializer):
    """The citizen as staff lists show them: NIK masked."""

    id = serializers.IntegerField()
    masked_nik = serializers.CharField()
    full_name = serializers.CharField()
    desa = serializers.CharField(source="desa.code")
    kecamatan = serializers.CharField(source="desa.kecamatan_id")


class ServiceRequestSerializer(serializers.ModelSerializer):
    citizen = ServiceRequestCitizenSerializer(read_only=True)
    location = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    served_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    events = ServiceRequestEventSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "citizen",
            "service",
            "reason",
            "channel",
            "status",
            "status_reason",
            "location",
            "notes",
            "submitted_at",
            "started_at",
            "completed_at",
            "closed_at",
            "submitted_by",
            "served_by",
            "events",
        ]
        read_only_fields = fields


class _LocationCodeField(serializers.CharField):
    """A stock location given by its code, among the locations the user may use."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("help_text", _("Code of the serving stock location (needed for printing)."))
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> StockLocation:
        code = super().to_internal_value(data)
        user = self.context["request"].user
        location = locations_visible_to(user).filter(code=code[:32]).first()
        if location is None:
            raise serializers.ValidationError(MSG_UNKNOWN_LOCATION)
        return location


class ServiceRequestCreateSerializer(serializers.Serializer):
    citizen = serializers.RegexField(
        r"^[0-9]{16}$",
        help_text=_("The citizen's NIK (16 digits)."),
        error_messages={"invalid": _("NIK must be 16 digits.")},
    )
    service = serializers.ChoiceField(choices=ServiceRequest.Service.choices)
    reason = serializers.ChoiceField(choices=ServiceRequest.Reason.choices, default=ServiceRequest.Reason.NEW)
    channel = serializers.ChoiceField(choices=ServiceRequest.Channel.choices)
    location = _LocationCodeField()
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate_citizen(self, nik: str):
        citizen = citizen_by_nik_visible_to(self.context["request"].user, nik)
        if citizen is None:
            raise serializers.ValidationError(MSG_UNKNOWN_CITIZEN)
        return citizen


class ServiceRequestLocationSerializer(serializers.Serializer):
    location = _LocationCodeField()


class ServiceRequestReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=_("Why (shown in the event log)."))


# --- Filters ---------------------------------------------------------------------------------


class ServiceRequestFilter(django_filters.FilterSet):
    service = django_filters.ChoiceFilter(choices=ServiceRequest.Service.choices)
    status = django_filters.ChoiceFilter(choices=ServiceRequest.Status.choices)
    channel = django_filters.ChoiceFilter(choices=ServiceRequest.Channel.choices)
    kecamatan = django_filters.CharFilter(
        field_name="citizen__desa__kecamatan", help_text=_("Kecamatan code, e.g. 33.19.01.")
    )
    location = django_filters.CharFilter(field_name="location__code", help_text=_("Stock location code."))
    date = django_filters.DateFilter(method="filter_date", help_text=_("Submitted on this day (WIB)."))
    date_from = django_filters.DateFilter(
        method="filter_date_from", help_text=_("Submitted on or after (WIB).")
    )
    date_to = django_filters.DateFilter(method="filter_date_to", help_text=_("Submitted on or before (WIB)."))

    class Meta:
        model = ServiceRequest
        fields = ["service", "status", "channel", "kecamatan", "location", "date", "date_from", "date_to"]

    def filter_date(self, queryset, name, value):
        return self.filter_date_to(self.filter_date_from(queryset, name, value), name, value)

    def filter_date_from(self, queryset, name, value):
        start = local_day_bounds(value)[0]
        return queryset if start is None else queryset.filter(submitted_at__gte=start)

    def filter_date_to(self, queryset, name, value):
        end = local_day_bounds(value)[1]
        return queryset if end is None else queryset.filter(submitted_at__lt=end)


# --- Views -----------------------------------------------------------------------------------

_TRANSITION_ERRORS = error_responses(400, 403, 404, 409)


@extend_schema_view(
    list=extend_schema(summary="Service requests in your area", responses={200: ServiceRequestSerializer}),
    retrieve=extend_schema(
        summary="One service request with its event log",
        responses={200: ServiceRequestSerializer, **error_responses(404)},
    ),
)
class ServiceRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = ServiceRequestSerializer
    permission_classes = [role_permission(read=SERVICE_ROLES, write=SERVICE_ROLES)]
    filterset_class = ServiceRequestFilter
    ordering_fields = ["submitted_at", "completed_at", "id"]
    ordering = ["-submitted_at", "-id"]

    def get_queryset(self):
        return service_requests_visible_to(self.request.user)

    def _respond(self, service_request: ServiceRequest, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=service_request.pk)
        return Response(
            ServiceRequestSerializer(fresh, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(
        summary="Submit a service request",
        request=ServiceRequestCreateSerializer,
        responses={201: ServiceRequestSerializer, **error_responses(400, 403, 409)},
    )
    def create(self, request, *args, **kwargs):
        form = ServiceRequestCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        service_request = service_request_create(actor=request.user, **form.validated_data)
        return self._respond(service_request, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Start serving (submitted → in_progress)",
        request=ServiceRequestLocationSerializer,
        responses={200: ServiceRequestSerializer, **_TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        service_request = self.get_object()
        form = ServiceRequestLocationSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        service_request = service_request_start(
            service_request=service_request, actor=request.user, location=form.validated_data.get("location")
        )
        return self._respond(service_request)

    @extend_schema(
        summary="Complete (in_progress → completed): milestone, one blank for printing",
        request=ServiceRequestLocationSerializer,
        responses={200: ServiceRequestSerializer, **_TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        service_request = self.get_object()
        form = ServiceRequestLocationSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        service_request = service_request_complete(
            service_request=service_request, actor=request.user, location=form.validated_data.get("location")
        )
        return self._respond(service_request)

    @extend_schema(
        summary="Cancel (with a reason)",
        request=ServiceRequestReasonSerializer,
        responses={200: ServiceRequestSerializer, **_TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        service_request = self.get_object()
        form = ServiceRequestReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        service_request = service_request_cancel(
            service_request=service_request, actor=request.user, reason=form.validated_data["reason"]
        )
        return self._respond(service_request)

    @extend_schema(
        summary="Reject (with a reason)",
        request=ServiceRequestReasonSerializer,
        responses={200: ServiceRequestSerializer, **_TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        service_request = self.get_object()
        form = ServiceRequestReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        service_request = service_request_reject(
            service_request=service_request, actor=request.user, reason=form.validated_data["reason"]
        )
        return self._respond(service_request)
