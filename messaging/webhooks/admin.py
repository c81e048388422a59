"""The Django admin of webhooks: endpoints created and changed through the same services as the API (the secret is
shown once, on creation), disabled ones listed first; deliveries read-only with the Retry action."""

from django import forms
from django.contrib import admin, messages

from clinic.events import EVENT_TYPES
from clinic.exceptions import InvalidTransition
from messaging.webhooks import services
from messaging.webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=[(t, t) for t in EVENT_TYPES], widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "active"]

    def clean(self):
        cleaned = super().clean()
        for field, problems in services.webhook_endpoint_problems(
            url=cleaned.get("url"), events=cleaned.get("events")
        ).items():
            for problem in problems:
                self.add_error(field, problem)
        return cleaned


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "active", "disabled_at", "failing_since", "created_at")
    list_filter = ("active",)
    ordering = ("active", "-disabled_at", "pk")  # switched-off endpoints first
    readonly_fields = ("disabled_at", "disabled_reason", "failing_since", "created_at")

    def save_model(self, request, obj, form, change):
        data = {key: form.cleaned_data[key] for key in ("url", "events", "active")}
        if change:
            saved = services.webhook_endpoint_update(endpoint=obj, **data)
        else:
            saved = services.webhook_endpoint_create(by=request.user, **data)
            self.message_user(
                request,
                f"The signing secret of this endpoint, shown this once only: {saved.secret}",
                messages.WARNING,
            )
        obj.pk, obj.secret = saved.pk, saved.secret

    def delete_model(self, request, obj):
        services.webhook_endpoint_delete(endpoint=obj)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            services.webhook_endpoint_delete(endpoint=endpoint)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The outbox, shown; the one thing done here is retrying failed deliveries, through the API's service."""

    list_display = ("event", "endpoint", "status", "attempts", "last_status_code", "next_attempt_at", "sent_at")
    list_filter = ("status", "endpoint")
    list_select_related = ("event", "endpoint")
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("messaging.change_webhookdelivery")

    @admin.action(description="Retry the selected failed deliveries", permissions=["retry"])
    def retry(self, request, queryset):
        retried, refused = 0, 0
        for delivery in queryset.select_related("endpoint", "event"):
            try:
                services.webhook_delivery_retry(delivery=delivery, by=request.user)
            except InvalidTransition:
                refused += 1
            else:
                retried += 1
        if retried:
            self.message_user(request, f"{retried} delivery(ies) queued to be sent again.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"{refused} delivery(ies) left as they were: only failed ones of switched-on endpoints are retried.",
                messages.WARNING,
            )
