"""/api/v1/blanks/locations/ and /api/v1/blanks/movements/.

Locations carry their balance, threshold and days of cover. Movements are listed and posted
(receipt, transfer, spoilage, adjustment); an `issue` happens only through completing a printing
request. Posting a receipt or transfer again with the same reference answers with the first
movement and posts nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from blanks.filters import StockMovementFilter
from blanks.models import StockLocation, StockMovement
from blanks.selectors import forecast_of, locations_visible_to, locations_with_stock, movements_visible_to
from blanks.services import (
    MSG_UNKNOWN_LOCATION,
    blank_adjust,
    blank_receive,
    blank_spoil,
    blank_transfer,
    stock_location_create,
    stock_location_update,
)
from core.access import ALL_STAFF, DESK_STAFF, MANAGERS
from core.api.errors import error_responses
from core.api.permissions import role_permission
from core.bounds import bounded_by
from regions.models import Kecamatan

MSG_TO_LOCATION_REQUIRED = _("A transfer needs the receiving location.")
MSG_TO_LOCATION_ONLY_TRANSFER = _("Only a transfer has a receiving location.")

POSTABLE_KINDS = [
    (kind.value, kind.label)
    for kind in (
        StockMovement.Kind.RECEIPT,
        StockMovement.Kind.TRANSFER,
        StockMovement.Kind.SPOILAGE,
        StockMovement.Kind.ADJUSTMENT,
    )
]


# --- Locations -------------------------------------------------------------------------------


class StockLocationSerializer(serializers.ModelSerializer):
    kecamatan = serializers.SlugRelatedField(
        slug_field="code", queryset=Kecamatan.objects.all(), allow_null=True, required=False
    )
    balance = serializers.SerializerMethodField()
    issued_last_7_days = serializers.SerializerMethodField()
    daily_issue_rate = serializers.SerializerMethodField()
    days_of_cover = serializers.SerializerMethodField()
    runs_out_on = serializers.SerializerMethodField()
    low_stock = serializers.SerializerMethodField()

    class Meta:
        model = StockLocation
        fields = [
            "code",
            "name",
            "kind",
            "kecamatan",
            "low_stock_threshold",
            "min_days_of_cover",
            "active",
            "balance",
            "issued_last_7_days",
            "daily_issue_rate",
            "days_of_cover",
            "runs_out_on",
            "low_stock",
        ]

    def _forecast(self, obj):
        cache = self.context.setdefault("_forecasts", {})
        if obj.pk not in cache:
            cache[obj.pk] = forecast_of(obj)
        return cache[obj.pk]

    @extend_schema_field(OpenApiTypes.INT)
    def get_balance(self, obj) -> int:
        return self._forecast(obj).balance

    @extend_schema_field(OpenApiTypes.INT)
    def get_issued_last_7_days(self, obj) -> int:
        return self._forecast(obj).issued_last_7_days

    @extend_schema_field({"type": "string", "format": "decimal", "example": "12.50"})
    def get_daily_issue_rate(self, obj) -> str:
        return str(self._forecast(obj).daily_issue_rate)

    @extend_schema_field({"type": "string", "format": "decimal", "nullable": True})
    def get_days_of_cover(self, obj) -> str | None:
        days = self._forecast(obj).days_of_cover
        return None if days is None else str(days)

    @extend_schema_field({"type": "string", "format": "date", "nullable": True})
    def get_runs_out_on(self, obj) -> str | None:
        day = self._forecast(obj).runs_out_on
        return None if day is None else day.isoformat()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_low_stock(self, obj) -> bool:
        return self._forecast(obj).is_low


class StockLocationUpdateSerializer(StockLocationSerializer):
    class Meta(StockLocationSerializer.Meta):
        read_only_fields = ["code"]


_LOCATION = {
    "code": "KEC-01",
    "name": "Kantor Kecamatan Kaliwungu",
    "kind": "kecamatan_office",
    "kecamatan": "33.19.01",
    "low_stock_threshold": 100,
    "min_days_of_cover": 3,
    "active": True,
    "balance": 412,
    "issued_last_7_days": 266,
    "daily_issue_rate": "38.00",
    "days_of_cover": "10.84",
    "runs_out_on": "2024-02-13",
    "low_stock": False,
}
LOCATION_EXAMPLE = OpenApiExample("Kecamatan office", value=_LOCATION, response_only=True)
LOCATION_CREATE_EXAMPLE = OpenApiExample(
    "A mobile unit",
    value={"code": "MOBIL-1", "name": "Mobil Pelayanan 1", "kind": "mobile_unit", "kecamatan": None,
           "low_stock_threshold": 50, "min_days_of_cover": 2, "active": True},
    request_only=True,
)  # fmt: skip
LOCATION_CREATED_EXAMPLE = OpenApiExample(
    "Created (empty)",
    value={"code": "MOBIL-1", "name": "Mobil Pelayanan 1", "kind": "mobile_unit", "kecamatan": None,
           "low_stock_threshold": 50, "min_days_of_cover": 2, "active": True, "balance": 0,
           "issued_last_7_days": 0, "daily_issue_rate": "0.00", "days_of_cover": None, "runs_out_on": None,
           "low_stock": True},
    response_only=True,
)  # fmt: skip
LOCATION_PATCH_EXAMPLE = OpenApiExample(
    "Raise the threshold", value={"low_stock_threshold": 150}, request_only=True
)


@extend_schema_view(
    list=extend_schema(
        summary="Stock locations with balance, threshold and days of cover", examples=[LOCATION_EXAMPLE]
    ),
    retrieve=extend_schema(
        summary="One stock location",
        responses={200: StockLocationSerializer, **error_responses(404)},
        examples=[LOCATION_EXAMPLE],
    ),
    create=extend_schema(
        summary="Add a stock location (admin, supervisor)",
        responses={201: StockLocationSerializer, **error_responses(400, 403)},
        examples=[LOCATION_CREATE_EXAMPLE, LOCATION_CREATED_EXAMPLE],
    ),
    partial_update=extend_schema(
        summary="Change a location's name, thresholds or active flag (admin, supervisor)",
        request=StockLocationUpdateSerializer,
        responses={200: StockLocationSerializer, **error_responses(400, 403, 404)},
        examples=[
            LOCATION_PATCH_EXAMPLE,
            OpenApiExample("Changed", value={**_LOCATION, "low_stock_threshold": 150}, response_only=True),
        ],
    ),
)
class StockLocationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = StockLocationSerializer
    permission_classes = [role_permission(read=ALL_STAFF, write=MANAGERS)]
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"
    filterset_fields = ["kind", "active"]
    ordering_fields = ["code", "name"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return locations_visible_to(self.request.user, locations_with_stock())

    def get_serializer_class(self):
        if self.action == "partial_update":
            return StockLocationUpdateSerializer
        return StockLocationSerializer

    def perform_create(self, serializer):
        location = stock_location_create(**serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=location.pk)

    def perform_update(self, serializer):
        location = stock_location_update(location=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=location.pk)


# --- Movements -------------------------------------------------------------------------------


class StockMovementSerializer(serializers.ModelSerializer):
    location = serializers.SlugRelatedField(slug_field="code", read_only=True)
    to_location = serializers.SerializerMethodField(
        help_text=_("Receiving location (outgoing transfer leg).")
    )
    from_location = serializers.SerializerMethodField(
        help_text=_("Sending location (incoming transfer leg).")
    )
    quantity = serializers.IntegerField(read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "kind",
            "location",
            "to_location",
            "from_location",
            "quantity",
            "delta",
            "balance_after",
            "reference",
            "reason",
            "service_request",
            "actor",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_to_location(self, obj) -> str | None:
        incoming = getattr(obj, "transfer_to", None) if obj.kind == StockMovement.Kind.TRANSFER else None
        return incoming.location.code if incoming is not None else None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_from_location(self, obj) -> str | None:
        outgoing = obj.transfer_from
        return outgoing.location.code if outgoing is not None else None


class StockMovementCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=POSTABLE_KINDS)
    location = serializers.CharField(
        max_length=32, help_text=_("Code of the location (the source of a transfer).")
    )
    to_location = serializers.CharField(
        max_length=32, required=False, allow_null=True, allow_blank=True, help_text=_("Transfers only.")
    )
    quantity = serializers.IntegerField(
        **bounded_by(StockMovement, "delta"),
        help_text=_("Blanks; positive, except an adjustment, which is signed (+ found, − missing)."),
    )
    reference = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Client reference, required for receipts and transfers; the same one twice posts once."),
    )
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required for spoilage and adjustments."),
    )

    def _location(self, code: str, field: str) -> StockLocation:
        location = locations_visible_to(self.context["request"].user).filter(code=code).first()
        if location is None:
            raise serializers.ValidationError({field: [MSG_UNKNOWN_LOCATION]})
        return location

    def validate(self, attrs):
        attrs["location"] = self._location(attrs["location"], "location")
        to_code = attrs.get("to_location") or None
        if attrs["kind"] == StockMovement.Kind.TRANSFER:
            if not to_code:
                raise serializers.ValidationError({"to_location": [MSG_TO_LOCATION_REQUIRED]})
            attrs["to_location"] = self._location(to_code, "to_location")
        elif to_code:
            raise serializers.ValidationError({"to_location": [MSG_TO_LOCATION_ONLY_TRANSFER]})
        else:
            attrs["to_location"] = None
        return attrs


_MOVEMENT = {
    "id": 7120,
    "kind": "receipt",
    "location": "PUSAT",
    "to_location": None,
    "from_location": None,
    "quantity": 2000,
    "delta": 2000,
    "balance_after": 4141,
    "reference": "SJ-2024-0105",
    "reason": "",
    "service_request": None,
    "actor": "supervisor.stok",
    "created_at": "2024-01-05T10:12:00+07:00",
}
MOVEMENT_EXAMPLE = OpenApiExample("A receipt", value=_MOVEMENT, response_only=True)
MOVEMENT_TRANSFER_REQUEST = OpenApiExample(
    "Transfer 300 blanks to a kecamatan",
    value={"kind": "transfer", "location": "PUSAT", "to_location": "KEC-01", "quantity": 300,
           "reference": "TRF-2024-0031", "reason": ""},
    request_only=True,
)  # fmt: skip
MOVEMENT_RECEIPT_REQUEST = OpenApiExample(
    "Receive a delivery",
    value={"kind": "receipt", "location": "PUSAT", "quantity": 2000, "reference": "SJ-2024-0105"},
    request_only=True,
)
MOVEMENT_TRANSFER_RESPONSE = OpenApiExample(
    "The outgoing leg of the transfer",
    value={**_MOVEMENT, "id": 7188, "kind": "transfer", "to_location": "KEC-01", "quantity": 300,
           "delta": -300, "balance_after": 3841, "reference": "TRF-2024-0031",
           "created_at": "2024-01-06T09:00:00+07:00"},
    response_only=True,
)  # fmt: skip


@extend_schema_view(
    list=extend_schema(summary="The blank-stock ledger", examples=[MOVEMENT_EXAMPLE]),
    retrieve=extend_schema(
        summary="One ledger entry",
        responses={200: StockMovementSerializer, **error_responses(404)},
        examples=[MOVEMENT_EXAMPLE],
    ),
)
class StockMovementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = StockMovementSerializer
    permission_classes = [role_permission(read=ALL_STAFF, write=DESK_STAFF)]
    filterset_class = StockMovementFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return movements_visible_to(self.request.user)

    @extend_schema(
        summary="Post a receipt, transfer, spoilage or adjustment (adjustments: admin, supervisor)",
        description="Receipts and transfers need a `reference`: posting the same one again answers "
        "with the first movement (201) and posts nothing. 409 when the stock would go below zero.",
        request=StockMovementCreateSerializer,
        responses={201: StockMovementSerializer, **error_responses(400, 403, 409)},
        examples=[MOVEMENT_TRANSFER_REQUEST, MOVEMENT_RECEIPT_REQUEST, MOVEMENT_TRANSFER_RESPONSE],
    )
    def create(self, request, *args, **kwargs):
        form = StockMovementCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        kind, location, quantity = data["kind"], data["location"], data["quantity"]
        common = {"actor": request.user, "reason": data["reason"]}
        if kind == StockMovement.Kind.RECEIPT:
            movement = blank_receive(
                location=location, quantity=quantity, reference=data["reference"], **common
            )
        elif kind == StockMovement.Kind.TRANSFER:
            movement = blank_transfer(
                from_location=location,
                to_location=data["to_location"],
                quantity=quantity,
                reference=data["reference"],
                **common,
            )
        elif kind == StockMovement.Kind.SPOILAGE:
            movement = blank_spoil(
                location=location, quantity=quantity, reference=data["reference"], **common
            )
        else:
            movement = blank_adjust(
                location=location, quantity=quantity, reference=data["reference"], **common
            )
        # A replayed reference answers exactly like the first post (same body, 201).
        fresh = self.get_queryset().get(pk=movement.pk)
        return Response(StockMovementSerializer(fresh).data, status=status.HTTP_201_CREATED)
