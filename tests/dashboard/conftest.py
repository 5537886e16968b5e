from __future__ import annotations

import itertools

import pytest

from registrations.roles import staff_create

_serial = itertools.count(1)


def staff(role: str, *kecamatan: str):
    """A staff account of `role` (through the real provisioning service, groups and permissions)."""
    return staff_create(username=f"{role}-{next(_serial)}", role=role, kecamatan_codes=list(kecamatan))


@pytest.fixture
def supervisor(regions):
    return staff("supervisor")


@pytest.fixture
def operator(regions):
    """An operator of Jati (33.19.03)."""
    return staff("operator", "33.19.03")


@pytest.fixture
def viewer(regions):
    return staff("viewer")
