// One patient's page: who they are and how they attend, their appointments past and future, their treatment
// record (clinical roles), plans and the clinical forms. Every rule is the API's.
import { api, config, listAll } from "./api.js";
import { loadConditions, loadScreenings, setupClinical } from "./patient-clinical.js";
import { loadNotes } from "./patient-notes.js";
import { renderPlans } from "./patient-plans.js";
import { byId, catalog, clinical, loadCatalog, patientId, zoneOf } from "./patient-store.js";
import { h, localDateLabel, localTime } from "./ui.js";

const $ = (id) => document.getElementById(id);

async function loadPatient() {
  const patient = await api(`patients/${patientId}/`);
  const name = `${patient.first_name} ${patient.last_name}`;
  $("patient-name").textContent = name;
  document.title = `${name} · Clinic`;
  $("patient-contact").textContent = [`born ${patient.date_of_birth}`, patient.email || "no email", patient.phone || "no phone"].join(" · ");
  $("attendance").textContent = `No-shows: ${patient.no_show_count} · Late cancellations: ${patient.late_cancellation_count}`;
  $("book-link").href = `/desk/?patient=${patient.id}`;
}

function when(a) {
  const tz = zoneOf(a);
  return `${localDateLabel(a.start, tz)} ${localTime(a.start, tz)}`;
}

function what(a) {
  const therapy = byId(catalog.therapyTypes, a.therapy_type).name;
  return a.session ? `${therapy}, session ${a.session_sequence} of ${a.sessions_planned}` : `${therapy}, single visit`;
}

function historyRow(a) {
  const marks = [a.on_hold ? "on hold" : "", a.late_cancellation ? "late cancellation" : "", a.patient_confirmed_at ? "confirmed by patient" : ""];
  return h("tr", { dataset: { appointment: a.id } },
    h("td", {}, when(a)), h("td", {}, what(a)), h("td", {}, a.practitioner_name),
    h("td", {}, config.appointment_statuses[a.status], ...marks.filter(Boolean).map((m) => h("small", {}, m))));
}

function fillTable(body, rows, columns) {
  body.replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: columns, class: "empty" }, "None."))]));
}

// The clinical record of each completed visit: the lot and notes, who completed it, whether consent was given.
function treatmentRow(a) {
  const record = a.record;
  const lot = byId(catalog.lots, record.product_lot);
  const product = byId(catalog.products, record.product);
  const by = catalog.practitioners.find((p) => p.user === record.completed_by)?.display_name || a.practitioner_name;
  return h("tr", {},
    h("td", {}, when(a)), h("td", {}, what(a)), h("td", {}, by),
    h("td", {}, product ? product.name : "none", lot ? h("small", {}, `lot ${lot.lot_number}`) : null),
    h("td", {}, record.notes), h("td", {}, record.consent ? "given" : "not recorded"));
}

async function loadAppointments() {
  const appointments = await listAll("appointments/", { patient: patientId });
  const now = Date.now();
  const upcoming = appointments.filter((a) => Date.parse(a.start) >= now);
  const past = appointments.filter((a) => Date.parse(a.start) < now).reverse();
  fillTable($("upcoming"), upcoming.map(historyRow), 4);
  fillTable($("past"), past.map(historyRow), 4);
  if (clinical) fillTable($("treatments"), past.concat(upcoming).filter((a) => a.status === "completed").map(treatmentRow), 6);
  return appointments;
}

async function refreshAll() {
  const appointments = await loadAppointments();
  await Promise.all([
    renderPlans(appointments, refreshAll),
    clinical ? loadConditions() : null,
    clinical ? loadNotes(refreshAll) : null,
    loadScreenings(),
    loadPatient(),
  ]);
}

async function start() {
  try {
    await Promise.all([loadCatalog(), loadPatient()]);
  } catch (error) {
    $("patient-name").textContent = `The record could not be loaded: ${error.message}`;
    return;
  }
  for (const id of ["conditions-heading", "notes-heading", "open-plan-heading", "treatments-heading"]) $(id).parentElement.hidden = !clinical;
  setupClinical(refreshAll);
  await refreshAll();
  document.body.dataset.ready = "true";
}

start();
