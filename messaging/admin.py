"""The reminder outbox in the admin: shown, and failed reminders retried through the service the API uses."""

from django.contrib import admin, messages

from clinic.exceptions import InvalidTransition
from messaging.reminders import reminder_retry
from scheduling.models import Reminder


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """The outbox, shown: rows are written by bookings and sent by workers (messaging.reminders). The one thing
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
