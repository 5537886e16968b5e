"""The schedules API: public sessions and booking, staff sessions, series, appointments, check-in.

Views are thin: validate the shape with a serializer, call a service, serialize. Domain errors are
ApplicationErrors that the one handler in core.api.errors turns into `{"code","detail","fields"}`.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.access import ALL_STAFF, DESK_STAFF, SESSION_MANAGERS, has_role
from core.api.errors import error_responses
from core.api.permissions import roles_permission
from core.throttling import AnonThrottle, UserThrottle
from registrations.services.identity import citizen_identify_public
from schedules import selectors, services
from schedules.api import examples as ex
from schedules.api import serializers as s
from schedules.exceptions import NothingToCallError
from schedules.filters import AppointmentFilter, SeriesFilter, SessionFilter
from schedules.models import Appointment, OutreachSeries, OutreachSession, Slot
from schedules.throttling import BookingAnonThrottle, BookingUserThrottle, LookupAnonThrottle

FIND_ANSWER = _(
    "If the NIK and KK number match an upcoming booking with a mobile number or e-mail address, the "
    "link to it is on its way."
)
TOKEN_PARAM = OpenApiParameter(
    "token", str, description="The manage token given at booking (citizens); prefer X-Manage-Token."
)
TOKEN_HEADER = OpenApiParameter(
    "X-Manage-Token",
    str,
    location=OpenApiParameter.HEADER,
    description="The manage token given at booking (citizens), kept out of the URL (logged, shared).",
)

# A staff account holding one of the roles (core.access); the services check role and kecamatan again.
IsSessionManager = roles_permission(SESSION_MANAGERS)
IsDeskStaff = roles_permission(DESK_STAFF)


def _session_kwargs(data: dict) -> dict:
    data = dict(data)
    data["venue_name"] = data.pop("venue")
    return data


class SessionViewSet(viewsets.GenericViewSet):
    """Outreach sessions with their slots. Reading is public (published, upcoming); staff see every
    session of their kecamatan and create, change and cancel them."""

    serializer_class = s.SessionSerializer
    lookup_value_regex = r"\d+"
    filterset_class = SessionFilter
    ordering_fields = ["date", "start_time", "id"]

    def get_permissions(self):
        if self.action in ("list", "retrieve", "queue"):
            return [permissions.AllowAny()]
        if self.action in ("walk_ins", "call_next"):
            return [IsDeskStaff()]
        return [IsSessionManager()]

    def _staff(self) -> bool:
        return has_role(self.request.user, ALL_STAFF)

    def get_queryset(self):
        if self._staff():
            return selectors.sessions_for_staff(self.request.user)
        return selectors.sessions_public(with_slots=True)

    @extend_schema(
        summary="Upcoming sessions (public) or your kecamatan's sessions (staff)",
        responses={200: s.SessionSerializer(many=True)},
        examples=[ex.SESSION],
    )
    def list(self, request):
        """Anonymous clients see the published, upcoming sessions open to booking (with their open
        slots); staff see every session of their kecamatan (any status, all slots)."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._session_serializer()(page, many=True).data)

    def _session_serializer(self):
        """Staff see their sessions' notes; the public does not (a colleague's phone number…)."""
        return s.SessionSerializer if self._staff() else s.PublicSessionSerializer

    @extend_schema(
        summary="One session with its slots",
        responses={200: s.SessionSerializer, **error_responses(404)},
        examples=[ex.SESSION],
    )
    def retrieve(self, request, pk=None):
        return Response(self._session_serializer()(self.get_object()).data)

    @extend_schema(
        summary="Create a session and its slots (admin, supervisor, operator)",
        request=s.SessionCreateSerializer,
        responses={201: s.SessionSerializer, **error_responses(400, 403)},
        examples=[ex.SESSION_CREATE, ex.SESSION],
    )
    def create(self, request):
        data = s.SessionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_create(**_session_kwargs(data.validated_data), actor=request.user)
        session = selectors.sessions_for_staff(request.user).get(pk=session.pk)
        return Response(s.SessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a session's title, venue, notes or publication",
        description="Times and services stay as booked: cancel and create a new session to change them.",
        request=s.SessionUpdateSerializer,
        responses={200: s.SessionSerializer, **error_responses(400, 404)},
        examples=[ex.SESSION_UPDATE, ex.SESSION_UPDATED],
    )
    def partial_update(self, request, pk=None):
        session = self.get_object()
        data = s.SessionUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "venue" in changes:
            changes["venue_name"] = changes.pop("venue")
        services.session_update(session=session, actor=request.user, **changes)
        return Response(s.SessionSerializer(self.get_queryset().get(pk=session.pk)).data)

    @extend_schema(
        summary="Cancel a session (its bookings are cancelled and notified)",
        request=s.SessionCancelSerializer,
        responses={200: s.SessionCancelResultSerializer, **error_responses(404)},
        examples=[ex.SESSION_CANCEL, ex.SESSION_CANCELLED],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the session: its bookings are cancelled and every citizen notified with a rebook link."""
        session = self.get_object()
        data = s.SessionCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.session_cancel(
            session=session, reason=data.validated_data["reason"], actor=request.user
        )
        session = self.get_queryset().get(pk=session.pk)
        return Response(
            {
                "session": s.SessionSerializer(session).data,
                "cancelled_appointments": result.cancelled_appointments,
            }
        )

    @extend_schema(
        summary="Remove one slot (its bookings are cancelled and notified)",
        request=s.SessionCancelSerializer,
        responses={200: s.SlotRemoveResultSerializer, **error_responses(404)},
        examples=[ex.SESSION_CANCEL, ex.SLOT_REMOVED],
    )
    @action(detail=True, methods=["post"], url_path=r"slots/(?P<slot_id>\d+)/remove")
    def remove_slot(self, request, pk=None, slot_id=None):
        """Remove one slot: its bookings are cancelled and the citizens notified with a rebook link."""
        session = self.get_object()
        slot = get_object_or_404(Slot, session=session, pk=slot_id)
        data = s.SessionCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cancelled = services.slot_remove(slot=slot, reason=data.validated_data["reason"], actor=request.user)
        slot.refresh_from_db()
        return Response({"slot": s.SlotSerializer(slot).data, "cancelled_appointments": cancelled})

    @extend_schema(
        summary="Register a walk-in: a queue number of today's session",
        request=s.WalkInSerializer,
        responses={201: s.QueueTicketSerializer, **error_responses(400, 404, 409)},
        examples=[ex.WALK_IN, ex.WALK_IN_TICKET],
    )
    @action(detail=True, methods=["post"], url_path="walk-ins")
    def walk_ins(self, request, pk=None):
        """A citizen without a booking gets a queue number of today's session."""
        session = self.get_object()
        data = s.WalkInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        citizen = services.citizen_verify(
            nik=data.validated_data["nik"], birth_date=data.validated_data["birth_date"]
        )
        ticket = services.walk_in_register(
            session=session,
            citizen=citizen,
            service=data.validated_data["service"],
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        return Response(s.QueueTicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Call the next number to a desk",
        request=s.CallNextSerializer,
        responses={200: s.QueueTicketSerializer, **error_responses(400, 404, 409)},
        examples=[ex.CALL_NEXT, ex.CALLED],
    )
    @action(detail=True, methods=["post"], url_path="call-next")
    def call_next(self, request, pk=None):
        """Call the next waiting number to a desk (the desk's previous number is done)."""
        session = self.get_object()
        data = s.CallNextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.queue_call_next(
            session=session, desk=data.validated_data["desk"], actor=request.user
        )
        if ticket is None:
            raise NothingToCallError()
        return Response(s.QueueTicketSerializer(ticket).data)

    @extend_schema(
        summary="The queue of a session (public display)",
        responses={200: s.QueueSerializer, **error_responses(404)},
        examples=[ex.QUEUE],
    )
    @action(detail=True, methods=["get"])
    def queue(self, request, pk=None):
        """What the public queue display shows of a published session: numbers being served (with
        their desk) and waiting; nothing that names a booking or a request."""
        # DRF's get_object_or_404: an id too long to be a number (10,000 digits) is a 404, not a 500.
        session = get_object_or_404(OutreachSession, pk=pk, published=True)
        return Response(s.QueueSerializer(selectors.session_queue(session)).data)


class SeriesViewSet(viewsets.GenericViewSet):
    """Recurring schedules (staff): creating one generates its sessions, skipping holidays if asked."""

    serializer_class = s.SeriesSerializer
    permission_classes = [IsSessionManager]
    lookup_value_regex = r"\d+"
    filterset_class = SeriesFilter
    ordering_fields = ["start_date", "id"]

    def get_queryset(self):
        return selectors.series_for_staff(self.request.user).order_by("start_date", "id")

    @extend_schema(
        summary="Recurring schedules of your kecamatan",
        responses={200: s.SeriesSerializer(many=True)},
        examples=[ex.SERIES],
    )
    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset()).prefetch_related("sessions")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.SeriesSerializer(page, many=True).data)

    @extend_schema(
        summary="One recurring schedule with its session dates",
        responses={200: s.SeriesSerializer, **error_responses(404)},
        examples=[ex.SERIES],
    )
    def retrieve(self, request, pk=None):
        return Response(s.SeriesSerializer(self.get_object()).data)

    @extend_schema(
        summary="Create a recurring schedule: one session per matching date (at most a year)",
        request=s.SeriesCreateSerializer,
        responses={201: s.SeriesSerializer, **error_responses(400, 403)},
        examples=[ex.SERIES_CREATE, ex.SERIES],
    )
    def create(self, request):
        data = s.SeriesCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        series = services.series_create(**_session_kwargs(data.validated_data), actor=request.user)
        return Response(
            s.SeriesSerializer(OutreachSeries.objects.get(pk=series.pk)).data, status=status.HTTP_201_CREATED
        )


class AppointmentViewSet(viewsets.GenericViewSet):
    """Bookings. Citizens book without login and then use the code with its manage token; staff
    list, look up and check in the bookings of their kecamatan, and may book for walk-ins."""

    serializer_class = s.AppointmentSerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9-]{4,16}"
    filterset_class = AppointmentFilter
    ordering_fields = ["created_at", "code", "status"]

    def get_permissions(self):
        if self.action in ("create", "retrieve", "cancel", "reschedule", "find"):
            return [permissions.AllowAny()]
        return [IsDeskStaff()]

    def get_throttles(self):
        if self.action in ("create", "cancel", "reschedule", "find"):
            return [BookingAnonThrottle(), BookingUserThrottle()]
        if self.action == "retrieve":
            return [LookupAnonThrottle(), UserThrottle()]
        return [AnonThrottle(), UserThrottle()]

    def get_queryset(self):
        return selectors.appointments_for_staff(self.request.user)

    def _resolve(self, code: str) -> tuple[Appointment, bool]:
        """The booking by staff scope, else by the manage token; 404 either way when not found.
        The flag says it was found by the token: the answer is then the public one (the citizen
        without id and name)."""
        if has_role(self.request.user, DESK_STAFF):
            appointment = selectors.appointment_for_staff(self.request.user, code)
            if appointment is not None:
                return appointment, False
        token = self.request.data.get("token") if hasattr(self.request.data, "get") else None
        if not isinstance(token, str):
            token = None  # a number or an object in the body is no token (and no crash either)
        token = token or self.request.headers.get("X-Manage-Token") or self.request.query_params.get("token")
        appointment = selectors.appointment_by_token(code, token)
        if appointment is None:
            raise Http404
        return appointment, True

    @staticmethod
    def _answer(appointment: Appointment, *, public: bool) -> Response:
        return Response(s.AppointmentSerializer(appointment, context={"public": public}).data)

    @extend_schema(
        summary="Bookings of your kecamatan (staff)",
        responses={200: s.AppointmentSerializer(many=True)},
        examples=[ex.STAFF_APPOINTMENT],
    )
    def list(self, request):
        """The bookings of your kecamatan, by slot start."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.AppointmentSerializer(page, many=True).data)

    @extend_schema(
        summary="Book a place (public; staff book walk-ins)",
        request=s.BookingSerializer,
        responses={201: s.AppointmentCreatedSerializer, **error_responses(400, 409, 429)},
        examples=[ex.BOOKING, ex.BOOKED, ex.BOOKING_FAMILY, ex.BOOKED_FAMILY],
        auth=[{}, {"tokenAuth": []}, {"cookieAuth": []}],
    )
    def create(self, request):
        """Book a place: `{nik, kk, service, reason, slot, phone?, email?, members?}`; `members:
        [{nik, service?, reason?}]` books more members of the same family card in the same slot, all
        or none (409 `slot_full` when the places left are too few). 400 `identity_mismatch`
        (one answer for every failure) until the NIK and the family card number match a resident;
        then 409 `slot_full` when the slot is full, 400 `not_eligible` when the citizen may not get
        the service then."""
        data = s.BookingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["members"]:
            return self._create_family(request, values)
        # Identity first: nothing about the resident (eligibility, bookings) is told before.
        citizen = citizen_identify_public(nik=values["nik"], kk=values["kk"], request=request)
        result = services.appointment_book(
            slot=values["slot"],
            citizen=citizen,
            service=values["service"],
            reason=values["reason"],
            phone=values["phone"],
            email=values["email"],
            actor=request.user,  # staff rules only for desk staff of the slot's kecamatan (the service)
        )
        return Response(self._created([result], family=None), status=status.HTTP_201_CREATED)

    def _create_family(self, request, values: dict) -> Response:
        """A family booking: every member's NIK against the one KK, then all places or none."""
        rows = values["members"]
        citizens = services.family_identify(
            nik=values["nik"], kk=values["kk"], member_niks=[row["nik"] for row in rows], request=request
        )
        choices = [(values["service"], values["reason"])]
        choices += [
            (row.get("service", values["service"]), row.get("reason", values["reason"])) for row in rows
        ]
        result = services.appointments_book_family(
            slot=values["slot"],
            members=[
                services.FamilyMember(citizen=citizen, service=service, reason=reason)
                for citizen, (service, reason) in zip(citizens, choices, strict=True)
            ],
            phone=values["phone"],
            email=values["email"],
            actor=request.user,
        )
        return Response(self._created(result.bookings, family=result.family), status=status.HTTP_201_CREATED)

    @staticmethod
    def _created(bookings: list, *, family) -> dict:
        first = bookings[0].appointment
        members = [
            {
                "code": result.appointment.code,
                "manage_token": result.manage_token,
                "status": result.appointment.status,
                "service": result.appointment.service,
            }
            for result in bookings
        ]
        body = {
            "code": first.code,
            "manage_token": bookings[0].manage_token,
            "status": first.status,
            "slot": s.SlotRefSerializer(first.slot).data,
            "session": s.SessionRefSerializer(first.slot.session).data,
            "service": first.service,
        }
        if family:  # a family booking adds its id and every member
            body.update({"family": str(family), "members": members})
        return body

    @extend_schema(
        summary="Find my booking: the manage link sent again to the booking's phone or e-mail",
        request=s.FindBookingSerializer,
        responses={202: s.FindBookingAnswerSerializer, **error_responses(400, 429)},
        examples=[ex.FIND, ex.FIND_ANSWER],
        auth=[{}, {"tokenAuth": []}, {"cookieAuth": []}],
    )
    @action(detail=False, methods=["post"])
    def find(self, request):
        """`{nik, kk}`: the link to each upcoming booking of the resident is sent again to the phone
        or e-mail given at booking. Always 202 with the same body, whether or not the NIK and KK
        matched and whether or not a booking exists (the link is never in the answer)."""
        data = s.FindBookingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.appointments_find(
            nik=data.validated_data["nik"], kk=data.validated_data["kk"], request=request
        )
        return Response({"detail": FIND_ANSWER}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="A booking, by its code and manage token (or staff scope)",
        parameters=[TOKEN_HEADER, TOKEN_PARAM],
        responses={200: s.AppointmentSerializer, **error_responses(404, 429)},
        examples=[ex.APPOINTMENT, ex.STAFF_APPOINTMENT],
        auth=[{}, {"tokenAuth": []}, {"cookieAuth": []}],
    )
    def retrieve(self, request, code=None):
        appointment, public = self._resolve(code)
        return self._answer(appointment, public=public)

    @extend_schema(
        parameters=[TOKEN_HEADER, TOKEN_PARAM],
        summary="Cancel a booking (manage token, or staff scope)",
        request=s.ManageTokenSerializer,
        responses={200: s.AppointmentSerializer, **error_responses(404, 409, 429)},
        examples=[ex.MANAGE_TOKEN, ex.CANCELLED],
        auth=[{}, {"tokenAuth": []}, {"cookieAuth": []}],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, code=None):
        """Cancel the booking (token required for citizens); the place is freed."""
        appointment, public = self._resolve(code)
        appointment = services.appointment_cancel(appointment=appointment, actor=request.user)
        return self._answer(appointment, public=public)

    @extend_schema(
        parameters=[TOKEN_HEADER, TOKEN_PARAM],
        summary="Move a booking to another slot (manage token, or staff scope)",
        request=s.RescheduleSerializer,
        responses={200: s.AppointmentSerializer, **error_responses(400, 404, 409, 429)},
        examples=[ex.RESCHEDULE, ex.RESCHEDULED],
        auth=[{}, {"tokenAuth": []}, {"cookieAuth": []}],
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, code=None):
        """Move the booking to another slot `{slot}` (token required for citizens); same code and link."""
        appointment, public = self._resolve(code)
        data = s.RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = Slot.objects.filter(pk=data.validated_data["slot"]).first()
        if slot is None:
            raise s.serializers.ValidationError({"slot": [s.FORM_MESSAGES["slot_unknown"]]})
        appointment = services.appointment_reschedule(appointment=appointment, slot=slot, actor=request.user)
        return self._answer(appointment, public=public)

    @extend_schema(
        summary="Check a booking in: a queue number (desk staff)",
        request=None,
        responses={200: s.QueueTicketSerializer, **error_responses(403, 404, 409)},
        examples=[ex.CHECKED_IN],
    )
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, code=None):
        """Check the citizen in (code typed or scanned from the QR): a queue number of the session."""
        appointment = selectors.appointment_for_staff(request.user, code)
        if appointment is None:
            raise Http404
        ticket = services.appointment_check_in(code=appointment.code, actor=request.user)
        return Response(s.QueueTicketSerializer(ticket).data)
