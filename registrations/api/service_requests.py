"""/api/v1/service-requests/: list, create, retrieve, and the workflow actions.

Every action returns the updated request with its event log. Operators and field staff see only
requests of citizens in their kecamatan (others are 404); viewers have no access.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from blanks.selectors import locations_visible_to
from core.access import DESK_STAFF
from core.api.errors import error_responses
from core.api.permissions import roles_permission
from registrations.api.serializers import CitizenRefSerializer
from registrations.filters import ServiceRequestFilter
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


class ServiceRequestSerializer(serializers.ModelSerializer):
    citizen = CitizenRefSerializer(read_only=True)
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
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("help_text", _("Code of the serving stock location (needed for printing)."))
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        # After the field's own validators (length, no NUL characters), which to_internal_value skips.
        code = super().run_validation(data)
        if code is None:
            return None
        user = self.context["request"].user
        location = locations_visible_to(user).filter(code=code).first()
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


# --- Examples (the schema's) ----------------------------------------------------------------

_SR_CITIZEN = {"id": 4211, "nik": "3319********0003", "full_name": "Siti Aminah"}
_SUBMITTED_EVENT = {
    "id": 901,
    "at": "2024-02-03T08:05:12+07:00",
    "from_status": "",
    "to_status": "submitted",
    "actor": "operator.kaliwungu",
    "reason": "",
    "detail": {},
}


def _service_request(status: str, **changes) -> dict:
    value = {
        "id": 512,
        "citizen": _SR_CITIZEN,
        "service": "printing",
        "reason": "new",
        "channel": "kecamatan",
        "status": status,
        "status_reason": "",
        "location": "KEC-01",
        "notes": "",
        "submitted_at": "2024-02-03T08:05:12+07:00",
        "started_at": None,
        "completed_at": None,
        "closed_at": None,
        "submitted_by": "operator.kaliwungu",
        "served_by": None,
        "events": [_SUBMITTED_EVENT],
    }
    value.update(changes)
    return value


def _event(event_id: int, at: str, from_status: str, to_status: str, reason: str = "") -> dict:
    return {**_SUBMITTED_EVENT, "id": event_id, "at": at, "from_status": from_status,
            "to_status": to_status, "reason": reason}  # fmt: skip


SR_SUBMITTED = OpenApiExample("Submitted", value=_service_request("submitted"), response_only=True)
SR_STARTED = OpenApiExample(
    "In progress",
    value=_service_request(
        "in_progress",
        started_at="2024-02-03T08:20:00+07:00",
        served_by="operator.kaliwungu",
        events=[_SUBMITTED_EVENT, _event(902, "2024-02-03T08:20:00+07:00", "submitted", "in_progress")],
    ),
    response_only=True,
)
SR_COMPLETED = OpenApiExample(
    "Completed (one blank issued from KEC-01)",
    value=_service_request(
        "completed",
        started_at="2024-02-03T08:20:00+07:00",
        completed_at="2024-02-03T08:31:40+07:00",
        served_by="operator.kaliwungu",
        events=[
            _SUBMITTED_EVENT,
            _event(902, "2024-02-03T08:20:00+07:00", "submitted", "in_progress"),
            _event(903, "2024-02-03T08:31:40+07:00", "in_progress", "completed"),
        ],
    ),
    response_only=True,
)
SR_CANCELLED = OpenApiExample(
    "Cancelled",
    value=_service_request(
        "cancelled",
        status_reason="Citizen asked to come back next week.",
        closed_at="2024-02-03T09:00:00+07:00",
        events=[
            _SUBMITTED_EVENT,
            _event(904, "2024-02-03T09:00:00+07:00", "submitted", "cancelled",
                   "Citizen asked to come back next week."),
        ],
    ),
    response_only=True,
)  # fmt: skip
SR_REJECTED = OpenApiExample(
    "Rejected",
    value=_service_request(
        "rejected",
        status_reason="The police loss report is missing.",
        closed_at="2024-02-03T09:00:00+07:00",
        events=[
            _SUBMITTED_EVENT,
            _event(905, "2024-02-03T09:00:00+07:00", "submitted", "rejected",
                   "The police loss report is missing."),
        ],
    ),
    response_only=True,
)  # fmt: skip
SR_CREATE_REQUEST = OpenApiExample(
    "Printing at the kecamatan office",
    value={
        "citizen": "3319014507060003",
        "service": "printing",
        "reason": "new",
        "channel": "kecamatan",
        "location": "KEC-01",
        "notes": "",
    },
    request_only=True,
)
SR_LOCATION_REQUEST = OpenApiExample("Serving location", value={"location": "KEC-01"}, request_only=True)
SR_REASON_REQUEST = OpenApiExample(
    "Reason", value={"reason": "Citizen asked to come back next week."}, request_only=True
)


# --- Views -----------------------------------------------------------------------------------

_TRANSITION_ERRORS = error_responses(400, 403, 404, 409)


@extend_schema_view(
    list=extend_schema(
        summary="Service requests in your area",
        responses={200: ServiceRequestSerializer(many=True)},
        examples=[SR_SUBMITTED],
    ),
    retrieve=extend_schema(
        summary="One service request with its event log",
        responses={200: ServiceRequestSerializer, **error_responses(404)},
        examples=[SR_STARTED],
    ),
)
class ServiceRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = ServiceRequestSerializer
    permission_classes = [roles_permission(DESK_STAFF)]
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
        description="The citizen is named by NIK and must be in your area; 409 when the citizen "
        "already has an open request for the service.",
        request=ServiceRequestCreateSerializer,
        responses={201: ServiceRequestSerializer, **error_responses(400, 403, 409)},
        examples=[SR_CREATE_REQUEST, SR_SUBMITTED],
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
        examples=[SR_LOCATION_REQUEST, SR_STARTED],
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
        examples=[SR_LOCATION_REQUEST, SR_COMPLETED],
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
        examples=[SR_REASON_REQUEST, SR_CANCELLED],
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
        examples=[
            OpenApiExample(
                "Reason", value={"reason": "The police loss report is missing."}, request_only=True
            ),
            SR_REJECTED,
        ],
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
