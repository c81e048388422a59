"""The clinic admin's side of online booking: its settings (one row), and the requests to read (never edited: the
link and the desk's attention list act on them)."""

from django.contrib import admin

from portal.online.models import BookingRequest, OnlineBookingSettings


@admin.register(OnlineBookingSettings)
class OnlineBookingSettingsAdmin(admin.ModelAdmin):
    list_display = ("clinic_name", "min_notice_hours", "horizon_days")
    fieldsets = [
        (
            None,
            {
                "fields": ("clinic_name", "min_notice_hours", "horizon_days", "privacy_notice"),
                "description": "Which treatments and locations patients may book online is set on each treatment "
                'type and location ("Online booking").',
            },
        )
    ]

    def has_add_permission(self, request):
        # One row: the clinic's settings.
        return not OnlineBookingSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BookingRequest)
class BookingRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "status", "therapy_type", "location", "start", "call_back", "possible_duplicate")
    list_filter = ("status", "call_back", "possible_duplicate", "location")
    date_hierarchy = "created_at"
    exclude = ("secret", "answers", "note", "findings")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
