from django.contrib import admin

from exchange.feeds.services import calendar_feed_revoke
from exchange.models import CalendarFeed


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Who has a calendar feed, since when. A feed is issued through the API (its URL is shown once); deleting it
    here revokes it, through the same service."""

    list_display = ["practitioner", "issued_at", "issued_by"]
    fields = ["practitioner", "issued_at", "issued_by"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        calendar_feed_revoke(practitioner=obj.practitioner)

    def delete_queryset(self, request, queryset):
        for feed in queryset.select_related("practitioner"):
            calendar_feed_revoke(practitioner=feed.practitioner)
