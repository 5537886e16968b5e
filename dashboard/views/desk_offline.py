"""The offline desk (issue 17): the batch sync of queued desk actions and the data a desk downloads
before going out. Thin: the exactly-once replay is schedules.services.desk_sync; the data is
schedules.offline_selectors. Session auth and CSRF as every dashboard POST."""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.access import DESK_STAFF
from core.exceptions import ApplicationError
from dashboard.access import roles_required
from dashboard.views.sessions import session_get
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
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response
