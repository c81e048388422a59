// Ways out of a plan's flag, on the desk's attention list and the patient page: review (clinical roles),
// cancel the plan (every role), skip a session (clinical roles). Each asks for its reason in place.
import { ApiError, api, config } from "./api.js";
import { clearFieldErrors, flash, h, showFieldErrors } from "./ui.js";

const clinical = config.roles.includes("practitioner") || config.roles.includes("clinic_admin");

// A button that opens a one-field form under it; submitting posts to `path` and calls `done` with the plan.
function reasonAction({ label, field, fieldLabel, path, required, done, kind = "" }) {
  const holder = h("span", { class: "reason-action" });
  const open = h("button", { type: "button", class: kind }, label);
  open.addEventListener("click", () => {
    const id = `${path.replaceAll("/", "-")}${field}`;
    const input = h("textarea", { id, name: field, rows: 2 });
    const form = h("form", { class: "reason-form", novalidate: true, "aria-label": label },
      h("p", { class: "error form-error", role: "alert", hidden: true }),
      h("div", { class: "field" }, h("label", { for: id }, fieldLabel), input),
      h("button", { type: "submit", class: kind || "primary" }, `Confirm: ${label.toLowerCase()}`));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      const body = input.value || required ? { [field]: input.value } : {};
      try {
        const plan = await api(path, { method: "POST", body });
        flash(`${label}: done.`, "success");
        await done(plan);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        showFieldErrors(form, error, `${path.replaceAll("/", "-")}`);
      }
    });
    holder.replaceChildren(form);
    input.focus();
  });
  holder.append(open);
  return holder;
}

export function planActions(plan, done) {
  if (plan.status !== "active") return null;
  return h(
    "div",
    { class: "actions plan-actions" },
    clinical
      ? reasonAction({ label: "Review plan", field: "override_reason", fieldLabel: "Override reason (only when a relative finding applies)",
          path: `plans/${plan.id}/review/`, required: false, done })
      : null,
    reasonAction({ label: "Cancel plan", field: "reason", fieldLabel: "Reason for cancelling the plan", path: `plans/${plan.id}/cancel/`,
      required: true, done, kind: "danger" }),
  );
}

export function skipAction(plan, session, done) {
  if (!clinical || plan.status !== "active" || session.status !== "planned") return null;
  return reasonAction({ label: `Skip session ${session.sequence}`, field: "reason", fieldLabel: "Reason for skipping",
    path: `plans/${plan.id}/sessions/${session.id}/skip/`, required: true, done });
}
