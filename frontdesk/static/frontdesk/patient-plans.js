// The patient's plans: sessions with their windows and appointments, consent, completing a session, and the ways
// out of a flag (review, cancel, skip).
import { ApiError, api, config, listAll } from "./api.js";
import { planActions, skipAction } from "./plan-actions.js";
import { ACTIVE, byId, catalog, clinical, patientId, zoneOf } from "./patient-store.js";
import { clearFieldErrors, flash, h, localDateLabel, localTime, showFieldErrors } from "./ui.js";

const $ = (id) => document.getElementById(id);

let changed = null;

// The plans of the patient, drawn with the appointments the page has already read.
export async function renderPlans(appointments, onChange) {
  changed = onChange;
  const mine = await listAll("plans/", { patient: patientId });
  const bySession = new Map();
  for (const a of appointments) {
    if (!a.session) continue;
    const current = bySession.get(a.session);
    // A session keeps its cancelled history; the live appointment is the one to act on.
    if (!current || ACTIVE.includes(a.status) || (a.status === "completed" && !ACTIVE.includes(current.status))) {
      bySession.set(a.session, a);
    }
  }
  $("plans").replaceChildren(...(mine.length ? mine.map((plan) => planBlock(plan, bySession)) : [h("p", { class: "empty" }, "No plan yet.")]));
}

function planBlock(plan, bySession) {
  const therapy = byId(catalog.therapyTypes, plan.therapy_type);
  const product = byId(catalog.products, plan.product);
  const title = `${therapy.name}${product ? ` with ${product.name}` : ""}: ${config.indications[plan.indication]}`;
  return h(
    "article",
    { class: "plan", "aria-label": title, dataset: { plan: plan.id } },
    h("h3", {}, title, ` (${plan.status})`),
    plan.needs_attention ? h("p", { class: "warning" }, `Needs attention: ${plan.attention_reason}`) : null,
    plan.override_reason ? h("p", {}, `Override reason: ${plan.override_reason}`) : null,
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, ["Session", "Window", "Status", "Appointment", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, plan.sessions.map((s) => sessionRow(plan, s, bySession.get(s.id)))),
    ),
    planActions(plan, () => changed()),
    clinical && plan.status === "active" ? consentForm(plan) : null,
  );
}

function sessionRow(plan, session, appointment) {
  const cells = [
    h("td", {}, `${session.sequence} of ${plan.sessions_planned}`),
    h("td", {}, `${session.window_start} to ${session.window_end}`),
    h("td", {}, session.status),
  ];
  if (!appointment) {
    cells.push(h("td", { class: "empty" }, "not booked"));
  } else {
    const tz = zoneOf(appointment);
    cells.push(
      h(
        "td",
        {},
        `${localDateLabel(appointment.start, tz)} ${localTime(appointment.start, tz)} (${config.appointment_statuses[appointment.status]})`,
        clinical && appointment.status === "checked_in" ? completeForm(plan, session, appointment) : null,
      ),
    );
  }
  cells.push(h("td", {}, skipAction(plan, session, () => changed())));
  return h("tr", {}, cells);
}

function completeForm(plan, session, appointment) {
  const prefix = `complete-${appointment.id}-`;
  const lots = catalog.lots.filter((lot) => plan.product && lot.product === plan.product);
  const form = h(
    "form",
    { class: "complete-form", novalidate: true, "aria-label": `Complete session ${session.sequence}` },
    h("p", { class: "error form-error", role: "alert", hidden: true }),
    h("div", { class: "field" }, h("label", { for: `${prefix}notes` }, "Notes"), h("textarea", { id: `${prefix}notes`, name: "notes", rows: 2 })),
    lots.length
      ? h(
          "div",
          { class: "field" },
          h("label", { for: `${prefix}product_lot` }, "Product lot used"),
          h("select", { id: `${prefix}product_lot`, name: "product_lot" }, h("option", { value: "" }, "Choose…"),
            lots.map((lot) => h("option", { value: lot.id }, `${lot.lot_number} (expires ${lot.expires_on})`))),
        )
      : null,
    h("button", { type: "submit", class: "primary" }, `Complete session ${session.sequence}`),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const data = Object.fromEntries(new FormData(form));
    const body = { notes: data.notes || "" };
    if (data.product_lot) body.product_lot = Number(data.product_lot);
    try {
      await api(`appointments/${appointment.id}/complete/`, { method: "POST", body });
      flash(`Session ${session.sequence} completed.`, "success");
      await changed();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showFieldErrors(form, error, prefix);
    }
  });
  return form;
}

function consentForm(plan) {
  const prefix = `consent-${plan.id}-`;
  const form = h(
    "form",
    { class: "consent-form row", novalidate: true, "aria-label": "Record consent" },
    h("p", { class: "error form-error", role: "alert", hidden: true }),
    h("div", { class: "field" }, h("label", { for: `${prefix}method` }, "Consent given by"),
      h("select", { id: `${prefix}method`, name: "method" }, Object.entries(config.consent_methods).map(([v, l]) => h("option", { value: v }, l)))),
    h("div", { class: "field" }, h("label", { for: `${prefix}text_version` }, "Form version"), h("input", { id: `${prefix}text_version`, name: "text_version", value: "v1" })),
    h("button", { type: "submit" }, "Record consent"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    try {
      await api(`plans/${plan.id}/consent/`, { method: "POST", body: Object.fromEntries(new FormData(form)) });
      flash("Consent recorded.", "success");
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showFieldErrors(form, error, prefix);
    }
  });
  return form;
}

