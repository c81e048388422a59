// The front-desk page: wires the toolbar, grid, dialog, booking panel, search and lists together, and keeps the
// shown range fresh (another desk's booking appears within the polling interval without a reload).
import { ApiError, api } from "./api.js";
import { setupAttention, loadAttention } from "./attention.js";
import { setupBooking, startBooking, startBookingAt, startReschedule } from "./booking.js";
import { cascadeText, therapyClass } from "./card.js";
import { currentAppointmentId, openAppointment, refreshOpen, setupDialog } from "./dialog.js";
import { setupDrag } from "./drag.js";
import { renderGrid, setupGridKeys } from "./grid.js";
import { pickPatient, setupPatients } from "./patients.js";
import { renderPrintList } from "./print.js";
import { catalog, byId, loadCatalog, loadRange, state, today, zone } from "./store.js";
import { addDays, h, localParts, showMessage } from "./ui.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 10000;
let loadSeq = 0;
let dragging = false;

async function refresh() {
  const seq = ++loadSeq;
  const grid = $("day-grid");
  grid.setAttribute("aria-busy", "true");
  try {
    const { appointments, closures, schedule, pending } = await loadRange();
    if (seq !== loadSeq) return; // the desk has moved on meanwhile
    Object.assign(state, { appointments, closures, schedule, pending });
    draw();
    refreshOpen();
  } catch (error) {
    if (seq === loadSeq) grid.replaceChildren(h("p", { class: "error", role: "alert" }, `The appointments could not be loaded: ${error.message}`));
  } finally {
    if (seq === loadSeq) grid.setAttribute("aria-busy", "false");
  }
}

// A redraw keeps the keyboard where it was: on the same card or the same empty time.
function draw() {
  const focused = document.activeElement;
  const key = focused?.dataset?.appointment ? `.card[data-appointment="${focused.dataset.appointment}"]`
    : focused?.classList.contains("cell") ? `.lane[data-date="${focused.parentElement.dataset.date}"][data-resource="${focused.parentElement.dataset.resource}"] .cell[data-minutes="${focused.dataset.minutes}"]` : null;
  renderGrid($("day-grid"));
  if (key) document.querySelector(key)?.focus();
  renderPrintList($("print-list"));
  $("day-date").value = state.date;
  $("view-day").setAttribute("aria-pressed", String(state.view === "day"));
  $("view-week").setAttribute("aria-pressed", String(state.view === "week"));
}

// A message about one action (a move) is gone once the desk does something else.
function clearGridMessage() {
  showMessage($("grid-message"), "");
}

function show(changes) {
  clearGridMessage();
  Object.assign(state, changes);
  localStorage.setItem("desk-view", state.view);
  refresh();
}

async function changed(answer) {
  clearGridMessage();
  if (answer && state.view === "day") state.date = localParts(answer.start, zone()).date;
  await Promise.all([refresh(), loadAttention()]);
  if (answer) document.querySelector(`.card[data-appointment="${answer.id}"]`)?.focus();
}

// A dropped card asks the server to move the appointment; a refusal is said in words and the card goes back.
async function moveByDrop({ id, start, lane }) {
  const appointment = state.appointments.find((a) => a.id === id);
  const body = { start, sequence: appointment.sequence, practitioner: lane.dataset.key === "practitioner" ? Number(lane.dataset.resource) : appointment.practitioner };
  const message = $("grid-message");
  try {
    const answer = await api(`appointments/${id}/reschedule/`, { method: "POST", body });
    await changed(null);
    showMessage(message, `Moved ${answer.patient_name}. ${cascadeText(answer.cascade)}`, "success");
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showMessage(message, `${appointment.patient_name} was not moved: ${error.message}`);
    await refresh();
  }
}

function setupGrid() {
  const grid = $("day-grid");
  setupGridKeys(grid);
  grid.addEventListener("click", (event) => {
    if (event.target.closest(".card, .cell")) clearGridMessage();
    const cardEl = event.target.closest(".card");
    if (cardEl) {
      openAppointment(state.appointments.find((a) => a.id === Number(cardEl.dataset.appointment)));
      return;
    }
    const cell = event.target.closest(".cell");
    if (!cell) return;
    const lane = cell.parentElement;
    const resource = Number(lane.dataset.resource);
    startBookingAt({ start: cell.dataset.start, [lane.dataset.key]: resource });
  });
  grid.addEventListener("pointerdown", () => (dragging = true));
  document.addEventListener("pointerup", () => (dragging = false));
  setupDrag(grid, { onDrop: moveByDrop });
}

function setupToolbar() {
  const select = $("location-select");
  select.replaceChildren(...catalog.locations.map((l) => h("option", { value: l.id }, l.name)));
  const remembered = Number(localStorage.getItem("desk-location"));
  state.location = byId(catalog.locations, remembered) ? remembered : catalog.locations[0].id;
  select.value = state.location;
  select.addEventListener("change", () => {
    localStorage.setItem("desk-location", select.value);
    show({ location: Number(select.value) });
    loadAttention();
  });
  state.date = today();
  state.view = localStorage.getItem("desk-view") === "week" ? "week" : "day";
  const step = () => (state.view === "week" ? 7 : 1);
  $("prev-day").addEventListener("click", () => show({ date: addDays(state.date, -step()) }));
  $("next-day").addEventListener("click", () => show({ date: addDays(state.date, step()) }));
  $("today").addEventListener("click", () => show({ date: today() }));
  $("day-date").addEventListener("change", (event) => event.target.value && show({ date: event.target.value }));
  $("view-day").addEventListener("click", () => show({ view: "day" }));
  $("view-week").addEventListener("click", () => show({ view: "week" }));
  $("refresh").addEventListener("click", () => Promise.all([refresh(), loadAttention()]));
  $("print-day").addEventListener("click", () => window.print());
  document.querySelectorAll('input[name="columns"]').forEach((radio) =>
    radio.addEventListener("change", () => {
      state.columns = radio.value;
      draw();
    }),
  );
  $("booking-practitioner").append(...catalog.practitioners.map((p) => h("option", { value: p.id }, p.display_name)));
}

async function start() {
  try {
    await loadCatalog();
  } catch (error) {
    $("day-grid").replaceChildren(h("p", { class: "error", role: "alert" }, `The desk could not start: ${error.message}`));
    return;
  }
  setupToolbar();
  $("therapy-legend").replaceChildren(
    ...catalog.therapyTypes.map((t) => h("li", {}, h("span", { class: `swatch therapy ${therapyClass(t.id)}` }), ` ${t.name}`)),
  );
  setupGrid();
  setupDialog({ changed, reschedule: (a) => { $("appointment-dialog").close(); startReschedule(a); } });
  setupPatients({ book: startBooking });
  setupBooking({ booked: changed, pickPatient });
  setupAttention({ open: openAppointment });
  await Promise.all([refresh(), loadAttention()]);
  const wanted = Number(new URLSearchParams(window.location.search).get("patient"));
  if (wanted) startBooking(await api(`patients/${wanted}/`));
  // Another desk may have booked meanwhile: redraw quietly unless someone is in the middle of something.
  setInterval(() => {
    if (document.visibilityState === "visible" && !dragging && !currentAppointmentId()) refresh();
  }, POLL_MS);
  document.body.dataset.ready = "true";
}

start();
