"""API pagination: page numbers for most lists, cursors for the citizen registry."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework import exceptions, pagination

MSG_BAD_PAGE = gettext_lazy("A page number is a whole number from 1.")
MSG_BAD_CURSOR = gettext_lazy("This cursor is not valid: use the next or previous link as given.")


class PageNumberPagination(pagination.PageNumberPagination):
    """`{count, next, previous, results}`; `?page=` and `?page_size=` (at most 500)."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):
        # A malformed page number is bad input (400); only a page past the end is "not found".
        number = super().get_page_number(request, paginator)
        if number in self.last_page_strings:
            return number
        try:
            value = int(number)
        except (TypeError, ValueError):
            value = 0
        if value < 1:
            raise exceptions.ValidationError({self.page_query_param: [MSG_BAD_PAGE]})
        return value

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


class CursorPagination(pagination.CursorPagination):
    """`{next, previous, results}` (no count: counting 650k rows on every page is the cost cursor
    pagination avoids); follow `next` until it is null."""

    ordering = ("id",)
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        # A cursor the client made up is bad input (400), not a missing page.
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({self.cursor_query_param: [MSG_BAD_CURSOR]}) from exc

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters
