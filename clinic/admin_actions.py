"""Admin actions that need a person's reason (cancel a plan, skip a session, quarantine a lot): the action asks for
it on a page of its own, then calls the service once per selected row, so each row gets the service's checks and
its refusal is reported, not swallowed."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from clinic.exceptions import DomainError


def _refusal(exc: DomainError) -> str:
    details = [message for messages_ in (exc.errors or {}).values() for message in messages_]
    return " ".join([str(exc.detail), *details]).strip()


def action_with_reason(
    modeladmin, request, queryset, *, action: str, title: str, question: str, apply: Callable[[object, str], object]
):
    """Ask for a reason, then `apply(obj, reason)` to every selected row (each in the service's own transaction).
    Returns the page asking for the reason, or None (back to the list) once applied."""
    reason = (request.POST.get("reason") or "").strip()
    if request.POST.get("apply") and reason:
        done = 0
        for obj in queryset:
            try:
                apply(obj, reason)
            except DomainError as exc:
                modeladmin.message_user(request, f"{obj}: {_refusal(exc)}", messages.ERROR)
            else:
                done += 1
        if done:
            modeladmin.message_user(request, f"{title}: {done} done.", messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "question": question,
        "queryset": queryset,
        "action": action,
        "selected": helpers.ACTION_CHECKBOX_NAME,
        "reason": reason,
        "error": "Give a reason." if request.POST.get("apply") else "",
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/action_reason.html", context)


class HistoryShownNotReverted:
    """For admins of rows written through services: the history is shown, but a "revert" would write an old
    version beside the service, so it is not offered and its form is refused."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
