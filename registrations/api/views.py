from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from regions.models import Kecamatan
from registrations.api.serializers import KecamatanSerializer

KECAMATAN_EXAMPLE = OpenApiExample(
    "Kecamatan Kaliwungu (2 of its 15 desa shown)",
    value={
        "code": "33.19.01",
        "name": "Kaliwungu",
        "kabupaten": "33.19",
        "desa": [
            {"code": "33.19.01.2001", "name": "Bakalankrapyak", "kind": "desa"},
            {"code": "33.19.01.2002", "name": "Prambatan Kidul", "kind": "desa"},
        ],
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="The nine kecamatan with their desa/kelurahan", examples=[KECAMATAN_EXAMPLE]),
    retrieve=extend_schema(summary="One kecamatan by its code", examples=[KECAMATAN_EXAMPLE]),
)
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
