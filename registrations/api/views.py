from __future__ import annotations

from rest_framework import permissions, viewsets

from registrations.api.serializers import KecamatanSerializer
from registrations.models import Kecamatan


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Public: the nine kecamatan of Kudus with their desa/kelurahan (Kemendagri codes)."""

    queryset = Kecamatan.objects.prefetch_related("desa").order_by("code")
    serializer_class = KecamatanSerializer
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    lookup_field = "code"
    lookup_value_regex = r"33\.19\.\d{2}"
    filterset_fields: list = []
    ordering_fields = ["code", "name"]
