"""API parsers (a module of their own: DRF imports them while it is initialising)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, also refusing nesting deeper than Python's recursion limit (a 200 kB body
    of `[[[[…` would otherwise crash the request with RecursionError, a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(_("JSON nested too deeply.")) from exc
