"""The API's request parser (a module of its own: DRF imports it while it is initialising)."""

from __future__ import annotations

import codecs
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, made total: any undecodable body is a 400 `parse_error`, never a 500.

    DRF catches ValueError only; a declared charset that is not a text encoding (`rot13`,
    `zlib_codec`) or nesting deep enough to exhaust the recursion limit raised other errors. JSON
    may also spell a lone UTF-16 surrogate (`"\\ud800"`), which no database column can store: such
    text is refused here rather than failing later in a query.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            text_encoding = codecs.lookup(encoding)._is_text_encoding
        except LookupError:
            text_encoding = False
        if not text_encoding:
            raise exceptions.ParseError(_("Unsupported character set: %(charset)s.") % {"charset": encoding})
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(_("JSON nested too deeply.")) from exc
        except (TypeError, UnicodeError) as exc:
            raise exceptions.ParseError(_("JSON parse error.")) from exc
        if not _is_valid_unicode(data):
            raise exceptions.ParseError(_("JSON parse error: the text is not valid Unicode."))
        return data


def _is_valid_unicode(data: Any) -> bool:
    """No string (key or value) anywhere in `data` holds a lone surrogate. Iterative: the parsed
    document may be nested as deep as the parser allowed."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return True
