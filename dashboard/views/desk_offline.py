"""The offline desk (issue 17): the batch sync of queued desk actions and the data a desk downloads
before going out. Thin: the exactly-once replay is schedules.services.desk_sync; the data is
schedules.offline_selectors. Session auth and CSRF as every dashboard POST."""

from __future__ import annotations

import json

from django.contrib.auth.views import LogoutView
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.access import DESK_STAFF
from core.exceptions import ApplicationError
from dashboard.access import roles_required
from dashboard.views.sessions import session_get
from registrations.models import ServiceRequest
from registrations.selectors import can_see_full_personal_data
from schedules.offline_selectors import session_offline_data
from schedules.services.desk_sync import desk_sync

MAX_BODY = 2 * 1024 * 1024


@roles_required(DESK_STAFF)
@require_POST
def desk_sync_view(request, pk: int):
    session = session_get(request.user, pk)
    if len(request.body) > MAX_BODY:
        return JsonResponse({"code": "too_large", "detail": _("The batch is too large.")}, status=400)
    try:
        body = json.loads(request.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError):
        return JsonResponse({"code": "invalid_json", "detail": _("The batch is not valid JSON.")}, status=400)
    actions = body.get("actions") if isinstance(body, dict) else None
    try:
        outcomes = desk_sync(session=session, actor=request.user, actions=actions)
    except ApplicationError as error:
        return JsonResponse({"code": error.code, "detail": str(error.message)}, status=400)
    return JsonResponse({"results": [outcome.as_dict() for outcome in outcomes]})


@roles_required(DESK_STAFF)
@require_GET
@never_cache
def desk_offline_data(request, pk: int):
    session = session_get(request.user, pk)
    data = session_offline_data(session=session, full_data=can_see_full_personal_data(request.user))
    data["csrf_token"] = get_token(request)  # the cached page's token may be stale by the next sync
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


@roles_required(DESK_STAFF)
@require_GET
def desk_offline_page(request, pk: int):
    """The installable desk: a shell without personal data (the service worker caches it); the
    script fills it from the data downloaded into IndexedDB and queues the actions there."""
    session = session_get(request.user, pk)
    strings = {
        "online": _("Online"),
        "offline": _("Offline"),
        "waiting": _("%(count)s actions waiting"),
        "no_data": _("No session data on this tablet: download it while online."),
        "expires": _("Offline data on this tablet expires at %(time)s."),
        "expired": _("The offline data on this tablet has expired and was deleted."),
        "downloaded": _("Session data downloaded for offline use."),
        "synced": _("Synced: %(applied)s applied, %(duplicate)s already applied, %(conflict)s conflicts."),
        "check_in": _("Check in"),
        "start": _("Start"),
        "complete": _("Complete"),
        "checked_in": _("checked in"),
        "in_progress": _("in progress"),
        "completed": _("completed"),
        "queued": _("queued"),
        # A visit's services go one after another (schedules.services.queue): the later ones wait.
        "after_previous": _("after the service before it"),
        "not_eligible": _("Not eligible on the session day"),
        "conflict_of": _("Conflict %(index)s of %(count)s"),
        "choose_location": _("Choose the stock location for a printing."),
        "walk_in_needs": _("Enter the NIK, the birth date and at least one service."),
        "walk_in_queued": _("Walk-in queued."),
        "service_labels": {value: str(label) for value, label in ServiceRequest.Service.choices},
    }
    return render(
        request,
        "dashboard/sessions/desk_offline.html",
        {
            "nav": "sessions",
            "session": session,
            "strings": strings,
            "services": [
                (value, label) for value, label in ServiceRequest.Service.choices if session.offers(value)
            ],
            "reasons": ServiceRequest.Reason.choices,
        },
    )


@require_GET
def desk_service_worker(request):
    """The desk's service worker, served at the site root so its scope covers /dashboard/."""
    response = HttpResponse(
        render_to_string("dashboard/sessions/desk-sw.js"), content_type="text/javascript; charset=utf-8"
    )
    response["Service-Worker-Allowed"] = reverse("dashboard:overview")
    response["Cache-Control"] = "no-cache"
    return response


class ClearSiteDataLogoutView(LogoutView):
    """Logout that also tells the browser to delete the site's storage: the offline desk's
    downloaded bookings and queue (IndexedDB), its cached pages and its service worker. The desk
    page syncs its queue before it lets the form submit (static/js/desk-offline.js)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response
