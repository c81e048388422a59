"""The pages behind the signed links in patient emails. GET shows what the link will do; POST does it, so a mail
scanner that follows links cannot cancel an appointment."""

from django.shortcuts import render
from django.views import View

from clinic.exceptions import DomainError
from scheduling import links
from scheduling.emails import local_time_text

TEXTS = {
    "confirm": {
        "title": "Confirm your appointment",
        "ask": "Please confirm that you will come to this appointment.",
        "button": "Yes, I will come",
        "done": "Thank you: your appointment is confirmed.",
        "service": links.appointment_confirm_by_link,
    },
    "cancel": {
        "title": "Cancel your appointment",
        "ask": "Do you want to cancel this appointment?",
        "button": "Cancel my appointment",
        "done": "Your appointment is cancelled. We have sent you an email to confirm it.",
        "service": links.appointment_cancel_by_link,
    },
}


class AppointmentLinkView(View):
    action = "confirm"

    def _page(self, request, *, message: str, appointment=None, ask=False, status=200):
        texts = TEXTS[self.action]
        context = {
            "title": texts["title"],
            "message": message,
            "appointment": appointment,
            "when": local_time_text(appointment.start, appointment.location) if appointment else "",
            "ask": ask,
            "button": texts["button"],
        }
        return render(request, "scheduling/appointment_link.html", context, status=status)

    def get(self, request, token: str):
        try:
            appointment = links.appointment_from_link(token=token, action=self.action)
        except DomainError as exc:
            return self._page(request, message=exc.detail, status=exc.status_code)
        refusal = links.link_refusal(appointment, action=self.action)
        if refusal:
            return self._page(request, message=refusal, appointment=appointment, status=409)
        return self._page(request, message=TEXTS[self.action]["ask"], appointment=appointment, ask=True)

    def post(self, request, token: str):
        try:
            appointment = TEXTS[self.action]["service"](token=token)
        except DomainError as exc:
            return self._page(request, message=exc.detail, status=exc.status_code)
        return self._page(request, message=TEXTS[self.action]["done"], appointment=appointment)
