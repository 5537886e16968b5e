"""The one API router: every app registers its viewsets on it (kudus_capil/api_urls.py)."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter


class Router(DefaultRouter):
    # The API root view is left out: the schema at /api/schema/ and the docs at /api/docs/ are the
    # index of the API (one less undocumented endpoint).
    include_root_view = False


router = Router()
