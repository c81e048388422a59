"""Query parameters and pagination as strict as the schema that documents them."""

from datetime import date

import django_filters
from django.core.paginator import Paginator
from django.db.models import Count, Window
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from clinic.api.fields import BOUNDS_MESSAGE, within_bounds

# No list is anywhere near this many pages; a larger number is refused before it reaches an OFFSET (where a
# 64-bit overflow would be a database error).
MAX_PAGE = 1_000_000


class FilterSet(django_filters.FilterSet):
    """A filterset that refuses a non-text parameter given empty (`?patient=`) or a boolean other than true/false,
    instead of silently ignoring it."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.CharFilter) or name not in self.data:
                continue
            values = self.data.getlist(name)
            if any(value == "" for value in values):
                self.form.add_error(name, "Give a value or leave this parameter out.")
                valid = False
            elif isinstance(filter_, django_filters.BooleanFilter) and not set(values) <= {"true", "false"}:
                self.form.add_error(name, "Give true or false.")
                valid = False
        for name, value in list(getattr(self.form, "cleaned_data", {}).items()):
            if isinstance(value, date) and not within_bounds(value):
                self.form.add_error(name, BOUNDS_MESSAGE)
                valid = False
        return valid


class Pagination(PageNumberPagination):
    """Page-number pagination where `?page=` must be a page that exists (404 otherwise, also when empty)."""

    def get_page_number(self, request, paginator):
        number = request.query_params.get(self.page_query_param, "1")
        if number in self.last_page_strings:
            return paginator.num_pages
        if not (number.isascii() and number.isdigit()) or not 0 < int(number) <= MAX_PAGE:
            raise NotFound("Invalid page.")
        return number


class CountWithPagePaginator(Paginator):
    """A paginator that reads the page and the total in one statement (`COUNT(*) OVER ()` on the page's rows), so a
    search builds its matches once instead of once for COUNT and once for the page. Only for querysets without
    DISTINCT or aggregation, where the window counts exactly the rows a COUNT would. The rows may be model instances
    or `.values()` dicts."""

    def page(self, number):
        if "count" in self.__dict__ or not str(number).isdigit() or int(number) < 1:
            return super().page(number)
        number = int(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list.annotate(total_rows=Window(Count("*")))[bottom : bottom + self.per_page])
        if not rows and number > 1:
            return super().page(number)  # past the end: counts, and refuses the page
        total = (rows[0]["total_rows"] if isinstance(rows[0], dict) else rows[0].total_rows) if rows else 0
        self.__dict__["count"] = total  # fills the cached property
        return self._get_page(rows, number, self)


class CountWithPagePagination(Pagination):
    """`Pagination` with the total read together with the page (see CountWithPagePaginator)."""

    django_paginator_class = CountWithPagePaginator


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing query parameters that a list does not know (a typo is not silently ignored).
    The filterset it used stays on the view as `view.filterset`, for a list that answers more than its rows."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        view.filterset = filterset
        return filterset

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) == "list":
            filterset_class = self.get_filterset_class(view, queryset)
            known = set(filterset_class.base_filters) if filterset_class else set()
            paginator = getattr(view, "paginator", None)
            if paginator is not None:
                known.add(paginator.page_query_param)
                if paginator.page_size_query_param:
                    known.add(paginator.page_size_query_param)
            unknown = sorted(set(request.query_params) - known)
            if unknown:
                raise ValidationError({name: ["Unknown query parameter."] for name in unknown})
        return super().filter_queryset(request, queryset, view)
