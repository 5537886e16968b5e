#!/usr/bin/env python3
"""Fill the Indonesian catalogue from locale/id/translations/*.json and compile it.

    python manage.py makemessages -l id --ignore=.venv --ignore=tests --ignore=bench
    python scripts/translate.py          # reports msgids still untranslated, writes django.mo

Each locale/id/translations/*.json (one per part of the portal) maps English msgid → Indonesian
msgstr (plural entries map to a list). Keeping the translations in reviewed JSON files lets
makemessages regenerate the .po freely. The compiled .mo is
committed, so running the portal needs no gettext tools.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "id" / "LC_MESSAGES" / "django.po"
TRANSLATIONS = ROOT / "locale" / "id" / "translations"


def main() -> int:
    catalogue: dict = {}
    for path in sorted(TRANSLATIONS.glob("*.json")):
        catalogue.update(json.loads(path.read_text(encoding="utf-8")))
    po = polib.pofile(str(PO))
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        value = catalogue.get(entry.msgid)
        if value is None:
            missing.append(entry.msgid)
            continue
        if entry.msgid_plural:
            forms = value if isinstance(value, list) else [value]
            entry.msgstr_plural = dict(enumerate(forms))
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
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
