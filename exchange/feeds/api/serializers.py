from rest_framework import serializers


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.URLField(
        read_only=True, help_text="The feed's private address (text/calendar). Shown once: only its hash is kept."
    )
