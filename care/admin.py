"""The admin of plans and sessions: shown, never deleted; cancelled and skipped through the use cases the API
calls (scheduling.planning), each with the reason a person gives."""

from django.contrib import admin

from clinic.admin_actions import action_with_reason
from scheduling.planning import plan_cancel_with_appointments, session_skip_with_appointment
from treatments.admin import TreatmentPlanAdminBase, TreatmentSessionAdminBase
from treatments.models import TreatmentPlan, TreatmentSession


class _ActsThroughServices:
    """The actions are offered to whoever may change the model, although its change form is read-only."""

    def has_act_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(_ActsThroughServices, TreatmentPlanAdminBase):
    actions = ["cancel_plans"]

    @admin.action(description="Cancel the selected plans (and their appointments still ahead)", permissions=["act"])
    def cancel_plans(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            action="cancel_plans",
            title="Cancel plans",
            question="Cancel these plans? Their appointments still ahead are cancelled and the patients told.",
            apply=lambda plan, reason: plan_cancel_with_appointments(plan=plan, by=request.user, reason=reason),
        )


@admin.register(TreatmentSession)
class TreatmentSessionAdmin(_ActsThroughServices, TreatmentSessionAdminBase):
    actions = ["skip_sessions"]

    @admin.action(
        description="Skip the selected sessions (a booked one's appointment is cancelled)", permissions=["act"]
    )
    def skip_sessions(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            action="skip_sessions",
            title="Skip sessions",
            question="Skip these sessions? A booked one's appointment is cancelled and the patient told.",
            apply=lambda session, reason: session_skip_with_appointment(
                session=session, by=request.user, reason=reason
            ),
        )
