from __future__ import annotations

from rest_framework import serializers

from regions.models import Desa, Kecamatan
from registrations.models import Citizen
from registrations.nik import mask_nik


class CitizenRefSerializer(serializers.Serializer):
    """A resident as every API answer names them (appointments, service requests, citizens):
    `{id, nik, full_name}`.

    The NIK is masked (`3319********0001`) unless the serializer context has `full_data` — set only
    by the citizens endpoint, for users with `registrations.view_full_nik`, and logged there as a
    reveal. In answers to the public (a booking read with its manage token, context `public`),
    `id` and `full_name` are null: a booking code tells no more than the masked NIK.
    """

    id = serializers.IntegerField(allow_null=True, help_text="Citizen id (`/api/v1/citizens/{id}/`).")
    nik = serializers.CharField(help_text="NIK, masked unless your role may see full NIKs.")
    full_name = serializers.CharField(allow_null=True)

    def to_representation(self, citizen: Citizen) -> dict:
        public = bool(self.context.get("public"))
        return {
            "id": None if public else citizen.pk,
            "nik": citizen.nik if self.context.get("full_data") and not public else mask_nik(citizen.nik),
            "full_name": None if public else citizen.full_name,
        }


class DesaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Desa
        fields = ["code", "name", "kind"]


class KecamatanSerializer(serializers.ModelSerializer):
    kabupaten = serializers.CharField(source="kabupaten_id", read_only=True)
    desa = DesaSerializer(many=True, read_only=True)

    class Meta:
        model = Kecamatan
        fields = ["code", "name", "kabupaten", "desa"]
