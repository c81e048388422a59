from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from clinic.exceptions import InvalidTransition
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
from scheduling.reminders import reminder_retry
from scheduling.working_time import time_off_delete, time_off_save, working_hours_delete, working_hours_save
from treatments.admin import TreatmentPlanAdminBase
from treatments.models import TreatmentPlan


class LocationClosureInline(admin.TabularInline):
    model = LocationClosure
    extra = 1
    ordering = ("-date",)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "phone")
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


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "active")
    list_filter = ("active", "therapy_types", "locations")
    search_fields = ("display_name", "user__username", "user__email")
    filter_horizontal = ("therapy_types", "locations")
    inlines = [WorkingHoursInline, TimeOffInline]

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
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ("practitioner", "location", "weekday", "start_time", "end_time")
    list_filter = ("practitioner", "location", "weekday")
    list_select_related = ("practitioner", "location")

    def save_model(self, request, obj, form, change):
        working_hours_save(hours=obj)

    def delete_model(self, request, obj):
        working_hours_delete(hours=obj)

    def delete_queryset(self, request, queryset):
        for hours in queryset:
            working_hours_delete(hours=hours)


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ("practitioner", "start", "end", "reason")
    list_filter = ("practitioner",)
    search_fields = ("reason", "practitioner__display_name")
    date_hierarchy = "start"
    list_select_related = ("practitioner",)

    def save_model(self, request, obj, form, change):
        time_off_save(time_off=obj)

    def delete_model(self, request, obj):
        time_off_delete(time_off=obj)

    def delete_queryset(self, request, queryset):
        for time_off in queryset:
            time_off_delete(time_off=time_off)


class ReminderInline(admin.TabularInline):
    model = Reminder
    extra = 0
    fields = ("kind", "due_at", "status", "attempts", "sent_at", "last_error")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appointment)
class AppointmentAdmin(SimpleHistoryAdmin):
    list_display = ("start", "end", "patient", "practitioner", "therapy_type", "room", "device", "status")
    list_filter = ("status", "location", "practitioner", "therapy_type", "room")
    search_fields = ("patient__last_name", "patient__first_name", "patient__email", "practitioner__display_name")
    date_hierarchy = "start"
    list_select_related = ("patient", "practitioner", "therapy_type", "room", "device")
    inlines = [ReminderInline]

    # Booking, moving and the life cycle go through scheduling.booking (the front desk and the API): written here,
    # an appointment would skip the overlap, working-hours and screening checks and its reminders. The admin shows
    # appointments and their history.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """The outbox, shown: rows are written by bookings and sent by workers (scheduling.reminders). The one thing
    done here is retrying failed ones, through the same service the API uses."""

    list_display = ("appointment", "kind", "due_at", "status", "attempts", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("appointment__patient__last_name", "appointment__patient__email", "last_error")
    date_hierarchy = "due_at"
    list_select_related = ("appointment__patient", "appointment__practitioner")
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("scheduling.change_reminder")

    @admin.action(description="Retry the selected failed reminders", permissions=["retry"])
    def retry(self, request, queryset):
        retried, refused = 0, 0
        for reminder in queryset:
            try:
                reminder_retry(reminder=reminder, by=request.user)
            except InvalidTransition:
                refused += 1
            else:
                retried += 1
        if retried:
            self.message_user(request, f"{retried} reminder(s) queued to be sent again.", messages.SUCCESS)
        if refused:
            self.message_user(
                request, f"{refused} reminder(s) left as they were: only failed ones are retried.", messages.WARNING
            )


class AppointmentInline(admin.TabularInline):
    model = Appointment
    fk_name = "plan"
    extra = 0
    fields = ("start", "end", "practitioner", "room", "device", "status")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class TreatmentPlanAdmin(TreatmentPlanAdminBase):
    """The plan admin with the plan's appointments listed under its sessions."""

    inlines = [*TreatmentPlanAdminBase.inlines, AppointmentInline]


admin.site.register(TreatmentPlan, TreatmentPlanAdmin)
