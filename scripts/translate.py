#!/usr/bin/env python3
"""Fill the Indonesian catalogue from locale/id/translations/*.json and compile it.

    python manage.py makemessages -l id --ignore=.venv --ignore=tests --ignore=bench
    python scripts/translate.py          # reports msgids still untranslated, writes django.mo

Each locale/id/translations/*.json (one per part of the portal) maps English msgid → Indonesian
msgstr (plural entries map to a list). Messages with a context (`pgettext`, where one English
phrase has two Indonesian meanings) sit under the key "@context": {context: {msgid: msgstr}}.
A msgid given two different translations in two files is a conflict: nothing is written and the
script fails, since otherwise the last file read would silently win. Keeping the translations in
reviewed JSON files lets makemessages regenerate the .po freely. The compiled .mo is committed, so
running the portal needs no gettext tools (tests/test_translations.py checks it is current).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "id" / "LC_MESSAGES" / "django.po"
TRANSLATIONS = ROOT / "locale" / "id" / "translations"
CONTEXT_KEY = "@context"

Key = tuple[str | None, str]  # (msgctxt, msgid)


def load_translations(directory: Path = TRANSLATIONS) -> tuple[dict[Key, str | list], list[str]]:
    """(translations by (context, msgid), conflicts: messages given different translations)."""
    catalogue: dict[Key, str | list] = {}
    origin: dict[Key, str] = {}
    conflicts = []
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = [((None, msgid), value) for msgid, value in data.items() if msgid != CONTEXT_KEY]
        for context, messages in data.get(CONTEXT_KEY, {}).items():
            entries += [((context, msgid), value) for msgid, value in messages.items()]
        for key, value in entries:
            if key in catalogue and catalogue[key] != value:
                conflicts.append(
                    f"{key[1]!r}{f' (context {key[0]!r})' if key[0] else ''}: "
                    f"{catalogue[key]!r} in {origin[key]}, {value!r} in {path.name}"
                )
            catalogue[key], origin[key] = value, path.name
    return catalogue, conflicts


def main() -> int:
    catalogue, conflicts = load_translations()
    if conflicts:
        for conflict in conflicts:
            print(f"conflict: {conflict}", file=sys.stderr)
        print("Use one translation, or pgettext with a context where the meanings differ.", file=sys.stderr)
        return 1
    po = polib.pofile(str(PO))
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        value = catalogue.get((entry.msgctxt, entry.msgid))
        if value is None:
            missing.append(entry.msgid if not entry.msgctxt else f"{entry.msgid} (context {entry.msgctxt})")
            continue
        if entry.msgid_plural:
            forms = value if isinstance(value, list) else [value]
            entry.msgstr_plural = dict(enumerate(forms))
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        # msgmerge's guess ("#| msgid ...") is settled once the reviewed translation is in.
        entry.previous_msgctxt = entry.previous_msgid = entry.previous_msgid_plural = None
    po.metadata_is_fuzzy = False
    po.metadata["Language"] = "id"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.save()
    po.save_as_mofile(str(PO.with_suffix(".mo")))
    for msgid in missing:
        print(f"untranslated: {msgid!r}", file=sys.stderr)
    print(f"{len(po) - len(missing)} translated, {len(missing)} missing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
