"""The Indonesian catalogue: every message of the code translated (none fuzzy), no phrase silently
given one translation for two meanings, and the committed .mo compiled from the committed .po."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "id" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# What the documented makemessages run skips (scripts/translate.py), plus what is not source.
NOT_SOURCE = {
    ".venv", ".git", "tests", "bench", "test-artifacts", "staticfiles", "__pycache__", "node_modules",
    ".pytest_cache", ".ruff_cache", ".hypothesis", "db.sqlite3", "var", "media",
}  # fmt: skip


def _translate_script():
    spec = importlib.util.spec_from_file_location("translate_script", ROOT / "scripts" / "translate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _messages(catalogue) -> dict[tuple[str | None, str], object]:
    """(context, msgid) → msgstr, or the tuple of plural forms."""
    found = {}
    for entry in catalogue:
        if entry.obsolete or not entry.msgid:
            continue
        if entry.msgid_plural:
            found[entry.msgctxt, entry.msgid] = tuple(
                entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural)
            )
        else:
            found[entry.msgctxt, entry.msgid] = entry.msgstr
    return found


@pytest.mark.skipif(not shutil.which("xgettext"), reason="makemessages needs GNU gettext")
def test_every_message_of_the_code_is_in_the_catalogue_and_translated(tmp_path):
    # makemessages on a copy of the tree: the committed catalogue is never touched.
    copy = tmp_path / "portal"
    shutil.copytree(ROOT, copy, ignore=lambda _dir, names: [name for name in names if name in NOT_SOURCE])
    env = {**os.environ, "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "kudus_capil.settings"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "id", "--ignore=.venv", "--ignore=tests",
         "--ignore=bench"],
        cwd=copy, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    fresh = polib.pofile(str(copy / PO.relative_to(ROOT)))
    committed = polib.pofile(str(PO))

    in_code, in_catalogue = set(_messages(fresh)), set(_messages(committed))
    assert sorted(in_code - in_catalogue, key=str) == [], (
        "not in the catalogue: run makemessages + translate.py"
    )
    assert sorted(in_catalogue - in_code, key=str) == [], "no longer in the code: run makemessages"
    untranslated = [entry.msgid for entry in fresh if not entry.obsolete and not entry.translated()]
    assert untranslated == []  # translated() is False for fuzzy entries too
    assert not committed.fuzzy_entries()


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="needs GNU gettext")
def test_the_catalogue_passes_msgfmt_checks(tmp_path):
    # Format strings (%(name)s) of every translation match their msgid's; headers are sound.
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "check.mo"), str(PO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_committed_mo_is_compiled_from_the_committed_po():
    compiled, source = _messages(polib.mofile(str(MO))), _messages(polib.pofile(str(PO)))
    assert compiled == {key: value for key, value in source.items() if value}
    assert all(source.values())


def test_no_message_is_given_two_translations_in_the_sources():
    _catalogue, conflicts = _translate_script().load_translations()
    assert conflicts == []


def test_two_translations_of_one_message_are_reported_as_a_conflict(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"started at": "dimulai pada", "yes": "ya"}))
    (tmp_path / "b.json").write_text(
        json.dumps({"started at": "mulai dilayani pada", "yes": "ya", "@context": {"run": {"yes": "benar"}}})
    )
    catalogue, conflicts = _translate_script().load_translations(tmp_path)
    assert len(conflicts) == 1 and "'started at'" in conflicts[0]
    assert catalogue[None, "yes"] == "ya" and catalogue["run", "yes"] == "benar"


def test_one_english_phrase_with_two_meanings_reads_right_in_each_place():
    from blanks.models import StockMovement
    from registrations.models import Citizen, CoverageRun, ServiceRequest

    def label(model, field: str) -> str:
        return str(model._meta.get_field(field).verbose_name)

    with translation.override("id"):
        assert label(CoverageRun, "started_at") == "dimulai pada"
        assert label(ServiceRequest, "started_at") == "mulai dilayani pada"
        assert label(StockMovement, "created_at") == "dicatat pada"
        assert label(Citizen, "recorded_at") == "waktu perekaman"
