from __future__ import annotations

from rest_framework import serializers

from regions.models import Desa, Kecamatan


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
