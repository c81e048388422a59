"""Date-times in the admin as the clinic lives them: in the location's zone (the clinic's default where no location
applies), never UTC, and every page says which zone it uses.

- `AdminTimeZoneMiddleware` makes the clinic's default zone current for every admin page (lists, history, forms of
  rows that belong to no location); it is reset after the answer has been rendered.
- `LocalTimeAdmin`, mixed into a ModelAdmin that knows its rows' location (`time_zone_of`), shows and reads a row's
  change form in that row's zone, labels each date-time field with the zone, and shows each date-time column of the
  change list in the row's own zone with its abbreviation ("06 Jul 2027 09:00 BST").
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from clinic.clock import clinic_zone


class AdminTimeZoneMiddleware:
    """Admin pages read and show date-times in the clinic's default zone unless an admin names a row's own zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/admin/"):
            return self.get_response(request)
        timezone.activate(clinic_zone())
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def zone_label(zone: ZoneInfo) -> str:
    """How a page names a zone: its IANA name and its abbreviations in winter and summer ("Europe/London (GMT/BST)")."""
    year = timezone.now().year
    abbreviations = dict.fromkeys(datetime(year, month, 15, 12, tzinfo=zone).tzname() for month in (1, 7))
    names = "/".join(name for name in abbreviations if name and name != zone.key)
    return f"{zone.key} ({names})" if names else zone.key


def local_moment(value: datetime, zone: ZoneInfo) -> str:
    """A date-time as a list shows it: local wall-clock time and the zone's abbreviation at that moment."""
    local = value.astimezone(zone)
    return f"{local:%d %b %Y %H:%M} {local.tzname()}"


class LocalTimeAdmin:
    """A ModelAdmin mixin: a row's date-times are shown and entered in `time_zone_of(row)`, the page says which."""

    def time_zone_of(self, obj) -> ZoneInfo | None:
        """The zone of a saved row (its location's); None means the clinic's default."""
        return None

    def time_zone_for_new(self, data) -> ZoneInfo | None:
        """The zone of a row being added, from the form's posted data (None: the clinic's default)."""
        return None

    def _zone(self, obj) -> ZoneInfo:
        return self.time_zone_of(obj) or clinic_zone()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        if obj is not None:
            zone = self._zone(obj)
        else:
            zone = (self.time_zone_for_new(request.POST) if request.method == "POST" else None) or clinic_zone()
        # Stays current until AdminTimeZoneMiddleware resets it, after the form has been read and rendered.
        timezone.activate(zone)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        label = zone_label(timezone.get_current_timezone())
        for field in form.base_fields.values():
            if field.__class__.__name__ in ("SplitDateTimeField", "DateTimeField"):
                field.help_text = f"Local time in {label}."
        return form

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        return [self._local_column(name) if self._is_moment(name) else name for name in columns]

    def _is_moment(self, name) -> bool:
        if not isinstance(name, str):
            return False
        try:
            return isinstance(self.model._meta.get_field(name), models.DateTimeField)
        except FieldDoesNotExist:  # a method or an admin attribute
            return False

    def _local_column(self, name: str):
        def column(obj):
            value = getattr(obj, name)
            return self.get_empty_value_display() if value is None else local_moment(value, self._zone(obj))

        column.short_description = self.model._meta.get_field(name).verbose_name
        column.admin_order_field = name
        column.__name__ = name
        return column
