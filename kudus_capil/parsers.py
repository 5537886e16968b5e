"""The API's request parser (a module of its own: DRF imports it while it is initialising)."""

from __future__ import annotations

import codecs

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, made total: any undecodable body is a 400 `parse_error`, never a 500.

    DRF catches ValueError only; a declared charset that is not a text encoding (`rot13`,
    `zlib_codec`) or nesting deep enough to exhaust the recursion limit raised other errors.
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
            return super().parse(stream, media_type, parser_context)
        except (RecursionError, TypeError, UnicodeError) as exc:
            raise exceptions.ParseError(_("JSON parse error.")) from exc
