from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_actions import HistoryShownNotReverted, action_with_reason
from clinic.admin_zones import LocalTimeAdmin
from clinic.exceptions import DomainValidationError
from patients.audit import AccessLoggedAdmin
from scheduling.choices import AppointmentStatus
from scheduling.models import (
    Appointment,
    Device,
    Location,
    LocationClosure,
    Practitioner,
    Reminder,
    Room,
    TimeOff,
    WorkingHours,
)
from scheduling.selectors import lot_recipients
from scheduling.working_time import time_off_delete, time_off_save, working_hours_delete, working_hours_save
from treatments.admin import ProductLotStatusChangeInline
from treatments.choices import LotStatus
from treatments.lots import lot_register, lot_status_change, lot_status_validate
from treatments.models import ProductLot


def practitioner_zone(practitioner: Practitioner | None):
    """The zone a practitioner's times are read in: their first location's (None: the clinic's default). Reads
    `locations.all()`, so a prefetched list costs no query."""
    locations = sorted(practitioner.locations.all(), key=lambda location: location.pk) if practitioner else []
    return locations[0].zone if locations else None


class WrittenThroughServices:
    """An admin whose saves and deletes go through the model's services (`save_row`, `delete_row`), bulk deletes
    one row at a time, so what a change implies (the waitlist offered freed time, patients re-screened) follows."""

    def save_row(self, request, obj) -> None:
        raise NotImplementedError

    def delete_row(self, request, obj) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        self.save_row(request, obj)

    def delete_model(self, request, obj):
        self.delete_row(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_row(request, obj)


class LocationClosureInline(admin.TabularInline):
    model = LocationClosure
    extra = 1
    ordering = ("-date",)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "phone", "online_booking")
    list_filter = ("online_booking",)
    search_fields = ("name", "address")
    inlines = [LocationClosureInline]


@admin.register(LocationClosure)
class LocationClosureAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "location")
    list_filter = ("location",)
    date_hierarchy = "date"
    search_fields = ("name",)


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "location", "kind", "active")
    list_filter = ("location", "kind", "active")
    search_fields = ("name",)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("name", "location", "kind", "active")
    list_filter = ("location", "kind", "active")
    search_fields = ("name", "kind")


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0


class PractitionerAdminBase(LocalTimeAdmin, admin.ModelAdmin):
    """How practitioners look in the admin (times in their location's zone). Registered by care.admin, whose
    deactivate and reactivate actions go through care.people (their appointments ahead go on the attention list,
    their reminders wait)."""

    list_display = ("display_name", "user", "active")
    list_filter = ("active", "therapy_types", "locations")
    search_fields = ("display_name", "user__username", "user__email")
    filter_horizontal = ("therapy_types", "locations")
    inlines = [WorkingHoursInline, TimeOffInline]
    # Changed by the actions only: they hold or release the reminders of the appointments ahead.
    readonly_fields = ("active",)

    def time_zone_of(self, obj):
        return practitioner_zone(obj)

    def save_formset(self, request, form, formset, change):
        """Working hours and time off edited inline go through their services, so the waitlist hears of time that
        opens up; other inlines save as usual."""
        if formset.model is WorkingHours:
            for hours in formset.save(commit=False):
                working_hours_save(hours=hours)
            for hours in formset.deleted_objects:
                working_hours_delete(hours=hours)
        elif formset.model is TimeOff:
            for time_off in formset.save(commit=False):
                time_off_save(time_off=time_off)
            for time_off in formset.deleted_objects:
                time_off_delete(time_off=time_off)
        else:
            super().save_formset(request, form, formset, change)


# Working hours and time off are saved and deleted through scheduling.working_time, one row at a time, so the
# time a change opens up reaches the waitlist.
@admin.register(WorkingHours)
class WorkingHoursAdmin(WrittenThroughServices, admin.ModelAdmin):
    list_display = ("practitioner", "location", "weekday", "start_time", "end_time")
    list_filter = ("practitioner", "location", "weekday")
    list_select_related = ("practitioner", "location")

    def save_row(self, request, obj):
        working_hours_save(hours=obj)

    def delete_row(self, request, obj):
        working_hours_delete(hours=obj)


@admin.register(TimeOff)
class TimeOffAdmin(LocalTimeAdmin, WrittenThroughServices, admin.ModelAdmin):
    """Time off is entered in the practitioner's location's zone: 09:00-12:00 on a summer day blocks 09:00-12:00
    there (08:00-11:00 UTC)."""

    list_display = ("practitioner", "start", "end", "reason")
    list_filter = ("practitioner",)
    search_fields = ("reason", "practitioner__display_name")
    date_hierarchy = "start"
    list_select_related = ("practitioner",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("practitioner__locations")

    def time_zone_of(self, obj):
        return practitioner_zone(obj.practitioner)

    def time_zone_for_new(self, data):
        chosen = str(data.get("practitioner", ""))
        practitioner = Practitioner.objects.filter(pk=chosen).first() if chosen.isdigit() else None
        return practitioner_zone(practitioner)

    def save_row(self, request, obj):
        time_off_save(time_off=obj)

    def delete_row(self, request, obj):
        time_off_delete(time_off=obj)


class ReminderInline(admin.TabularInline):
    model = Reminder
    extra = 0
    fields = ("kind", "due_at", "status", "attempts", "sent_at", "last_error")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appointment)
class AppointmentAdmin(LocalTimeAdmin, AccessLoggedAdmin, HistoryShownNotReverted, SimpleHistoryAdmin):
    """Appointments and their history, shown; the change page carries the visit's record: in the access log."""

    list_display = ("start", "end", "patient", "practitioner", "therapy_type", "room", "device", "status")
    list_filter = ("status", "location", "practitioner", "therapy_type", "room")
    search_fields = ("patient__last_name", "patient__first_name", "patient__email", "practitioner__display_name")
    date_hierarchy = "start"
    list_select_related = ("patient", "practitioner", "therapy_type", "room", "device", "location")
    inlines = [ReminderInline]

    def time_zone_of(self, obj):
        return obj.location.zone

    # Booking, moving and the life cycle go through care.booking (the front desk and the API): written here,
    # an appointment would skip the overlap, working-hours and screening checks and its reminders. The admin shows
    # appointments and their history.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProductLotForm(forms.ModelForm):
    """A status change is validated by the service's own rule (treatments.lots: a reason for every change, a
    recalled lot released again most of all), shown on the form."""

    class Meta:
        model = ProductLot
        fields = ("product", "lot_number", "expires_on", "received_on", "status", "status_reason")

    def clean(self):
        data = super().clean()
        if self.instance.pk is not None and "status" in data:
            stored = ProductLot.objects.get(pk=self.instance.pk)
            try:
                lot_status_validate(lot=stored, status=data["status"], reason=data.get("status_reason", ""))
            except DomainValidationError as exc:
                for field, messages_ in exc.errors.items():
                    self.add_error(field if field in self.fields else None, messages_)
        return data


# A lot's admin lives here, beside the visits that record lots: its recipients are read from them.
@admin.register(ProductLot)
class ProductLotAdmin(admin.ModelAdmin):
    """Lots are received here and change status through treatments.lots (each change in the lot's history, with
    who, when and why); a lot is never deleted: quarantine or recall it."""

    form = ProductLotForm
    list_display = ("lot_number", "product", "status", "expires_on", "received_on", "recipients")
    list_filter = ("status", "product")
    search_fields = ("lot_number", "product__name")
    date_hierarchy = "expires_on"
    list_select_related = ("product",)
    fields = (
        "product",
        "lot_number",
        "expires_on",
        "received_on",
        "status",
        "status_reason",
        "recalled_at",
        "recalled_by",
        "recipients_list",
    )
    readonly_fields = ("recalled_at", "recalled_by", "recipients_list")
    inlines = [ProductLotStatusChangeInline]
    actions = ["quarantine"]

    def get_queryset(self, request):
        given = Count("appointments", filter=Q(appointments__status=AppointmentStatus.COMPLETED))
        return super().get_queryset(request).annotate(recipient_count=given)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            lot_register(lot=obj, by=request.user)
            return
        details = [name for name in ("product", "lot_number", "expires_on", "received_on") if name in form.changed_data]
        if details:
            obj.save(update_fields=details)
        lot_status_change(lot=obj, status=obj.status, reason=obj.status_reason, by=request.user)

    @admin.action(description="Quarantine the selected lots (no longer given)")
    def quarantine(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            action="quarantine",
            title="Quarantine lots",
            question="Quarantine these lots? They can no longer be recorded for a visit.",
            apply=lambda lot, reason: lot_status_change(
                lot=lot, status=LotStatus.QUARANTINED, reason=reason, by=request.user
            ),
        )

    @admin.display(description="visits given", ordering="recipient_count")
    def recipients(self, lot):
        return lot.recipient_count

    @admin.display(description="Recipients (recall)")
    def recipients_list(self, lot):
        if lot.pk is None:
            return "-"
        rows = [
            (
                appointment.patient,
                f"{appointment.start.astimezone(appointment.location.zone):%Y-%m-%d}",
                f"session {appointment.session.sequence} of plan #{appointment.plan_id}"
                if appointment.session_id
                else "a visit outside a plan",
            )
            for appointment in lot_recipients(lot)
        ]
        if not rows:
            return "No patient has received this lot."
        return format_html_join(mark_safe("<br>"), "{} on {} ({})", rows)
