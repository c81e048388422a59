// The appointment dialog: its details, and only the actions its state and the user's role allow.
import { ApiError, api, config } from "./api.js";
import { badges, cascadeText, sessionLabel, statusLabel } from "./card.js";
import { byId, catalog, clinical, state, therapyName, zone } from "./store.js";
import { clearFieldErrors, flash, h, localDateLabel, localTime, showFieldErrors, showMessage } from "./ui.js";

const $ = (id) => document.getElementById(id);
let current = null;
let hooks = null;

export function setupDialog(options) {
  hooks = options; // { changed(answer), reschedule(appointment) }
}

export function openAppointment(appointment) {
  current = appointment;
  render();
  showMessage($("appointment-message"), "");
  const dialog = $("appointment-dialog");
  if (!dialog.open) dialog.showModal();
}

function render() {
  const a = current;
  const tz = zone();
  const rows = [
    ["Patient", a.patient_name],
    ["Phone", a.patient_phone ? h("a", { href: `tel:${a.patient_phone}` }, a.patient_phone) : "none given"],
    ["When", `${localDateLabel(a.start, tz)}, ${localTime(a.start, tz)}–${localTime(a.end, tz)}`],
    ["Therapy", `${therapyName(a.therapy_type)}, ${sessionLabel(a)}`],
    ["Practitioner", a.practitioner_name],
    ["Room", byId(catalog.rooms, a.room).name],
    ["Device", a.device ? byId(catalog.devices, a.device).name : "none"],
    ["Status", statusLabel(a)],
    ...badges(a).map(([, text]) => ["Note", text]),
    ...(a.attention_reason ? [["Why", a.attention_reason]] : []),
  ];
  $("appointment-title").textContent = `${a.patient_name} at ${localTime(a.start, tz)}`;
  $("appointment-details").replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  $("appointment-patient-link").href = `/desk/patients/${a.patient}/`;
  $("appointment-actions").replaceChildren(...actions(a), $("appointment-patient-link"));
  $("appointment-forms").replaceChildren();
}

function button(label, onclick, kind = "") {
  return h("button", { type: "button", class: kind, onclick }, label);
}

// The state machine is the API's; this mirrors it so the desk never offers a button that can only be refused.
function actions(a) {
  const started = Date.parse(a.start) <= Date.now();
  const checkInOpen = Date.parse(a.start) - config.check_in_opens_minutes * 60000 <= Date.now();
  const out = [];
  if (a.status === "booked") {
    if (!a.on_hold && checkInOpen) out.push(button("Check in", () => act("check-in"), "primary"));
    if (started) out.push(button("No-show", () => act("no-show")));
    out.push(button("Reschedule", () => hooks.reschedule(a)));
    out.push(button("Cancel appointment", showCancel, "danger"));
  }
  if (a.status === "checked_in" && clinical) out.push(button("Complete", showComplete, "primary"));
  if (a.on_hold && clinical && ["booked", "checked_in"].includes(a.status)) out.push(button("Release", showRelease));
  return out;
}

async function act(action, body = {}, form = null) {
  try {
    const answer = await api(`appointments/${current.id}/${action}/`, { method: "POST", body });
    flash(`${answer.patient_name}: ${statusLabel(answer).toLowerCase()}. ${cascadeText(answer.cascade)}`, "success");
    $("appointment-dialog").close();
    await hooks.changed(answer);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (form) showFieldErrors(form, error, "dlg-");
    else showMessage($("appointment-message"), error.message);
  }
}

function field(name, label, control) {
  control.id = `dlg-${name}`;
  control.name = name;
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

function smallForm(title, fields, submitLabel, submit, kind = "primary") {
  const form = h("form", { novalidate: true, "aria-label": title }, h("p", { class: "error form-error", role: "alert", hidden: true }), ...fields,
    h("button", { type: "submit", class: kind }, submitLabel));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    submit(Object.fromEntries(new FormData(form)), form);
  });
  $("appointment-forms").replaceChildren(form);
  form.querySelector("input, textarea, select")?.focus();
}

// Who cancelled decides whether it counts against the patient (a late cancel by the clinic never does): the desk
// says it every time, nothing is chosen for it.
function whoCancelled() {
  const choice = (value, label) => h("label", { class: "choice" }, h("input", { type: "radio", name: "by", value, required: true }), ` ${label}`);
  return h("fieldset", { id: "dlg-by" }, h("legend", {}, "Who cancelled?"),
    choice("patient", "Patient cancelled"), choice("clinic", "Clinic cancelled"));
}

function showCancel() {
  smallForm("Cancel appointment", [whoCancelled(), field("reason", "Reason for cancelling", h("textarea", { rows: 2 }))], "Confirm cancellation",
    (data, form) => {
      if (!data.by) {
        const error = form.querySelector(".form-error");
        error.textContent = "Say who cancelled: the patient or the clinic.";
        error.hidden = false;
        form.querySelector('input[name="by"]').focus();
        return;
      }
      act("cancel", { reason: data.reason, by: data.by }, form);
    }, "danger");
}

function showRelease() {
  smallForm("Release the hold", [field("override_reason", "Reason (needed when a relative finding applies)", h("textarea", { rows: 2 }))],
    "Release hold", (data, form) => act("release", data.override_reason ? { override_reason: data.override_reason } : {}, form));
}

// Completing records notes and the lot used; consent is asked for here when the visit has none yet.
function showComplete() {
  const record = current.record;
  const product = current.product ?? record.product;
  const lots = catalog.lots.filter((lot) => lot.product === product);
  const fields = [field("notes", "Session notes", h("textarea", { rows: 3 }))];
  if (product) {
    fields.push(field("product_lot", "Product lot used", h("select", {}, h("option", { value: "" }, "Choose…"),
      lots.map((lot) => h("option", { value: lot.id }, `${lot.lot_number} (expires ${lot.expires_on}${lot.status ? `, ${lot.status}` : ""})`)))));
  }
  if (!record.consent) {
    fields.push(
      field("method", "Consent given by", h("select", {}, Object.entries(config.consent_methods).map(([v, l]) => h("option", { value: v }, l)))),
      field("text_version", "Consent form version", h("input", { value: "v1" })),
    );
  }
  smallForm("Complete the visit", fields, "Complete visit", async (data, form) => {
    if (!record.consent) {
      const path = current.plan ? `plans/${current.plan}/consent/` : `appointments/${current.id}/consent/`;
      try {
        await api(path, { method: "POST", body: { method: data.method, text_version: data.text_version } });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        showFieldErrors(form, error, "dlg-");
        return;
      }
      record.consent = true;
    }
    const body = { notes: data.notes };
    if (data.product_lot) body.product_lot = Number(data.product_lot);
    await act("complete", body, form);
  });
}

export function currentAppointmentId() {
  return $("appointment-dialog").open ? current.id : null;
}

export function refreshOpen() {
  if (!currentAppointmentId()) return;
  const fresh = state.appointments.find((a) => a.id === current.id);
  if (fresh && fresh.status !== current.status) {
    current = fresh;
    render();
  }
}
