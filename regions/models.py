"""Kabupaten Kudus, its kecamatan and desa/kelurahan, with their Kemendagri codes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kabupaten(models.Model):
    code = models.CharField(_("code"), max_length=5, primary_key=True)  # "33.19"
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("kabupaten")
        verbose_name_plural = _("kabupaten")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Kecamatan(models.Model):
    code = models.CharField(_("code"), max_length=8, primary_key=True)  # "33.19.01"
    name = models.CharField(_("name"), max_length=100)
    kabupaten = models.ForeignKey(Kabupaten, on_delete=models.PROTECT, related_name="kecamatan")

    class Meta:
        verbose_name = _("kecamatan")
        verbose_name_plural = _("kecamatan")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def nik_prefix(self) -> str:
        """The first six NIK digits of a NIK first issued here, e.g. "331901"."""
        return self.code.replace(".", "")


class Desa(models.Model):
    class Kind(models.TextChoices):
        DESA = "desa", _("desa")
        KELURAHAN = "kelurahan", _("kelurahan")

    code = models.CharField(_("code"), max_length=13, primary_key=True)  # "33.19.01.2001"
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.PROTECT, related_name="desa")

    class Meta:
        verbose_name = _("desa/kelurahan")
        verbose_name_plural = _("desa/kelurahan")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
