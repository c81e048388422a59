// The practitioner's view of one patient. Screening, eligibility and completion rules are the API's.
import { ApiError, api, config, listAll } from "./api.js";
import {
  clearFieldErrors,
  contraindicationMessage,
  findingsList,
  flash,
  h,
  localDateLabel,
  localTime,
  showFieldErrors,
  showMessage,
} from "./ui.js";

const $ = (id) => document.getElementById(id);
const patientId = config.patient_id;
const catalog = { conditions: [], therapyTypes: [], products: [], lots: [], locations: [] };
const byId = (rows, id) => rows.find((row) => row.id === id);
const idOf = (value) => (value && typeof value === "object" ? value.id : value);
const ACTIVE = ["booked", "checked_in"];
// Clinical forms are offered to those the API lets use them; the API still decides every request.
const clinical = config.roles.includes("practitioner") || config.roles.includes("clinic_admin");

function zoneOf(appointment) {
  return byId(catalog.locations, idOf(appointment.location))?.time_zone || "UTC";
}

async function loadPatient() {
  const patient = await api(`patients/${patientId}/`);
  const name = `${patient.first_name} ${patient.last_name}`;
  $("patient-name").textContent = name;
  document.title = `${name} · Clinic`;
  $("patient-contact").textContent = [`born ${patient.date_of_birth}`, patient.email || "no email", patient.phone || "no phone"].join(" · ");
  $("book-link").href = `/desk/?patient=${patient.id}`;
}

// --- conditions ----------------------------------------------------------------------------------------------

// A section the user's role may not read says so in place; the rest of the record still loads.
async function guarded(load, box, wrap = (text) => h("p", { class: "error" }, text)) {
  try {
    await load();
  } catch (error) {
    box.replaceChildren(wrap(error.message));
  }
}

const refreshAll = () =>
  Promise.all([
    clinical
      ? guarded(loadConditions, $("conditions"), (text) => h("tr", {}, h("td", { colspan: 4, class: "error" }, text)))
      : null,
    guarded(loadScreenings, $("screenings"), (text) => h("tr", {}, h("td", { colspan: 2, class: "error" }, text))),
    guarded(loadPlans, $("plans")),
  ]);

async function loadConditions() {
  const rows = await listAll(`patients/${patientId}/conditions/`);
  $("conditions").replaceChildren(
    ...(rows.length
      ? rows.map((pc) => {
          const condition = byId(catalog.conditions, idOf(pc.condition));
          return h(
            "tr",
            {},
            h("td", {}, pc.condition_name || condition?.name || `condition ${pc.condition}`),
            h("td", {}, pc.since || ""),
            h("td", {}, pc.note || ""),
            h(
              "td",
              {},
              pc.active ? "active " : "inactive ",
              clinical
                ? h("button", { type: "button", onclick: () => toggleCondition(pc) }, pc.active ? "Mark inactive" : "Mark active")
                : null,
            ),
          );
        })
      : [h("tr", {}, h("td", { colspan: 4, class: "empty" }, "Nothing recorded."))]),
  );
}

async function toggleCondition(pc) {
  try {
    await api(`patients/${patientId}/conditions/${pc.id}/`, { method: "PATCH", body: { active: !pc.active } });
    flash("Condition updated; active plans were screened again.", "success");
    await refreshAll();
  } catch (error) {
    flash(error.message, "error");
  }
}

function setupConditionForm() {
  const form = $("condition-form");
  const kinds = new Map();
  for (const c of catalog.conditions) {
    if (!kinds.has(c.kind)) kinds.set(c.kind, h("optgroup", { label: c.kind }));
    kinds.get(c.kind).append(h("option", { value: c.id }, c.name));
  }
  $("cond-condition").replaceChildren(h("option", { value: "" }, "Choose…"), ...kinds.values());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const data = Object.fromEntries(new FormData(form));
    if (!data.since) delete data.since;
    try {
      await api(`patients/${patientId}/conditions/`, { method: "POST", body: { ...data, condition: Number(data.condition) || null, active: true } });
      form.reset();
      flash("Condition recorded; active plans were screened again.", "success");
      await refreshAll();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showFieldErrors(form, error, "cond-");
    }
  });
}

// --- screening --------------------------------------------------------------------------------------------

async function loadScreenings() {
  const rows = await Promise.all(
    catalog.therapyTypes.map(async (therapy) => {
      try {
        const result = await api("screenings/", { method: "POST", body: { patient: patientId, therapy_type: therapy.id } });
        return h(
          "tr",
          { dataset: { therapy: therapy.code } },
          h("th", { scope: "row" }, therapy.name),
          h(
            "td",
            {},
            result.eligible
              ? h("span", { class: result.warnings.length ? "warning" : "eligible" },
                  result.warnings.length ? "Only in a plan with a practitioner's recorded reason" : "Eligible")
              : h("span", { class: "not-eligible" }, "Not eligible"),
            result.blocking.length ? findingsList(result.blocking) : null,
            result.warnings.length ? h("div", { class: "warning" }, "Relative findings:", findingsList(result.warnings)) : null,
          ),
        );
      } catch (error) {
        return h("tr", {}, h("th", { scope: "row" }, therapy.name), h("td", { class: "error" }, error.message));
      }
    }),
  );
  $("screenings").replaceChildren(...rows);
}

// --- plans, sessions, consent, completing a session -----------------------------------------------------------

async function loadPlans() {
  const [plans, appointments] = await Promise.all([
    listAll("plans/", { patient: patientId }),
    listAll("appointments/", { patient: patientId }),
  ]);
  const mine = plans.filter((plan) => idOf(plan.patient) === patientId);
  const bySession = new Map();
  for (const a of appointments.filter((a) => idOf(a.patient) === patientId)) {
    if (!a.session) continue;
    const current = bySession.get(idOf(a.session));
    // A session keeps its cancelled history; the live appointment is the one to act on.
    if (!current || ACTIVE.includes(a.status) || (a.status === "completed" && !ACTIVE.includes(current.status))) {
      bySession.set(idOf(a.session), a);
    }
  }
  $("plans").replaceChildren(...(mine.length ? mine.map((plan) => planBlock(plan, bySession)) : [h("p", { class: "empty" }, "No plan yet.")]));
}

function planBlock(plan, bySession) {
  const therapy = byId(catalog.therapyTypes, idOf(plan.therapy_type));
  const product = byId(catalog.products, idOf(plan.product));
  const title = `${therapy?.name || "Plan"}${product ? ` with ${product.name}` : ""}: ${config.indications[plan.indication] || plan.indication}`;
  return h(
    "article",
    { class: "plan", "aria-label": title, dataset: { plan: plan.id } },
    h("h3", {}, title, ` (${plan.status})`),
    plan.needs_attention ? h("p", { class: "warning" }, `Needs attention: ${plan.attention_reason}`) : null,
    plan.override_reason ? h("p", {}, `Override reason: ${plan.override_reason}`) : null,
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, ["Session", "Window", "Status", "Appointment"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, plan.sessions.map((s) => sessionRow(plan, s, bySession.get(s.id)))),
    ),
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
        `${localDateLabel(appointment.start, tz)} ${localTime(appointment.start, tz)} (${config.appointment_statuses[appointment.status] || appointment.status})`,
        clinical && ACTIVE.includes(appointment.status) ? completeForm(plan, session, appointment) : null,
      ),
    );
  }
  return h("tr", {}, cells);
}

function completeForm(plan, session, appointment) {
  const prefix = `complete-${appointment.id}-`;
  const lots = catalog.lots.filter((lot) => plan.product && idOf(lot.product) === idOf(plan.product));
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
      await loadPlans();
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

// --- open a plan ---------------------------------------------------------------------------------------------

function setupPlanForm() {
  const form = $("plan-form");
  const therapy = $("plan-therapy_type");
  therapy.replaceChildren(...catalog.therapyTypes.map((t) => h("option", { value: t.id }, t.name)));
  $("plan-indication").replaceChildren(...Object.entries(config.indications).map(([v, l]) => h("option", { value: v }, l)));
  const fillProducts = () => {
    const products = catalog.products.filter((p) => idOf(p.therapy_type) === Number(therapy.value));
    $("plan-product").replaceChildren(h("option", { value: "" }, "None"), ...products.map((p) => h("option", { value: p.id }, `${p.name} (${p.source})`)));
    $("plan-sessions_planned").placeholder = byId(catalog.therapyTypes, Number(therapy.value))?.default_sessions ?? "";
  };
  therapy.addEventListener("change", fillProducts);
  fillProducts();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    showMessage($("plan-findings"), "");
    const data = Object.fromEntries(new FormData(form));
    const body = { patient: patientId, therapy_type: Number(data.therapy_type), indication: data.indication, override_reason: data.override_reason };
    if (data.product) body.product = Number(data.product);
    if (data.sessions_planned) body.sessions_planned = Number(data.sessions_planned);
    if (data.start_date) body.start_date = data.start_date;
    try {
      await api("plans/", { method: "POST", body });
      form.reset();
      fillProducts();
      flash("Plan opened.", "success");
      await loadPlans();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.code === "contraindicated") {
        const blocking = error.body.blocking || [];
        const onlyRelative = blocking.every((f) => f.severity === "relative");
        const hint = onlyRelative ? " A relative finding applies: record an override reason to open the plan anyway." : "";
        showMessage($("plan-findings"), contraindicationMessage(error) + hint, "error", findingsList([...blocking, ...(error.body.warnings || [])]));
        if (onlyRelative) $("plan-override_reason").focus();
      } else {
        showFieldErrors(form, error, "plan-");
      }
    }
  });
}

async function start() {
  try {
    const [conditions, therapyTypes, products, lots, locations] = await Promise.all([
      listAll("conditions/"),
      listAll("therapy-types/"),
      listAll("products/"),
      listAll("product-lots/"),
      listAll("locations/"),
      loadPatient(),
    ]);
    Object.assign(catalog, { conditions, therapyTypes, products, lots, locations });
  } catch (error) {
    $("patient-name").textContent = `The record could not be loaded: ${error.message}`;
    return;
  }
  $("conditions-heading").parentElement.hidden = !clinical; // conditions are clinical data
  $("open-plan-heading").parentElement.hidden = !clinical;
  setupConditionForm();
  setupPlanForm();
  await refreshAll();
  document.body.dataset.ready = "true";
}

start();
