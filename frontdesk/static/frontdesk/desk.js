// The front-desk page: day view, patient search and registration, booking, actions, lists that need a person.
// Every rule (eligibility, free slots, transitions) is the API's; this file only asks and shows the answers.
import { ApiError, api, config, listAll, newIdempotencyKey } from "./api.js";
import {
  addDays,
  clearFieldErrors,
  contraindicationMessage,
  findingsList,
  flash,
  h,
  localDateLabel,
  localParts,
  localTime,
  minutesLabel,
  showFieldErrors,
  showMessage,
  todayIn,
  zoneMidnight,
} from "./ui.js";

const PX_PER_MINUTE = 1.4;
const DAY_START = 8 * 60;
const DAY_END = 18 * 60;
const ACTIVE = ["booked", "checked_in"];
const $ = (id) => document.getElementById(id);

const catalog = { locations: [], practitioners: [], rooms: [], devices: [], therapyTypes: [] };
const byId = (rows, id) => rows.find((row) => row.id === id);
const patients = new Map();
const plans = new Map();
const state = { location: null, date: null, columns: "practitioner", appointments: [] };
let booking = null;

function zone() {
  return byId(catalog.locations, state.location)?.time_zone || "UTC";
}

function idOf(value) {
  return value && typeof value === "object" ? value.id : value;
}

function patientName(patient) {
  return patient ? `${patient.first_name} ${patient.last_name}` : "Unknown patient";
}

function appointmentPatientName(appointment) {
  return appointment.patient_name || patientName(patients.get(idOf(appointment.patient)));
}

// --- lookups the appointment resource refers to by id ----------------------------------------------------

async function loadPatients(ids) {
  const missing = [...new Set(ids)].filter((id) => id && !patients.has(id));
  await Promise.all(missing.map(async (id) => patients.set(id, await api(`patients/${id}/`))));
}

async function loadPlans(ids) {
  const missing = [...new Set(ids)].filter((id) => id && !plans.has(id));
  await Promise.all(missing.map(async (id) => plans.set(id, await api(`plans/${id}/`))));
}

async function patientPlans(patientId) {
  const rows = await listAll("plans/", { patient: patientId });
  rows.filter((plan) => idOf(plan.patient) === patientId).forEach((plan) => plans.set(plan.id, plan));
  return rows.filter((plan) => idOf(plan.patient) === patientId);
}

function planOf(appointment) {
  return appointment.plan ? plans.get(idOf(appointment.plan)) : null;
}

function sessionOf(appointment) {
  const plan = planOf(appointment);
  return plan ? plan.sessions.find((s) => s.id === idOf(appointment.session)) : null;
}

// --- day view ---------------------------------------------------------------------------------------------

let daySeq = 0;

async function loadDay() {
  const seq = ++daySeq;
  const grid = $("day-grid");
  grid.setAttribute("aria-busy", "true");
  try {
    const wanted = { date: state.date, location: state.location };
    const rows = await listAll("appointments/", wanted);
    const day = rows.filter(
      (a) => (!a.location || idOf(a.location) === wanted.location) && localParts(a.start, zone()).date === wanted.date,
    );
    await loadPatients(day.filter((a) => !a.patient_name).map((a) => idOf(a.patient)));
    // Windows move when sessions are booked elsewhere: the day's plans are read afresh on every load.
    day.filter((a) => a.plan).forEach((a) => plans.delete(idOf(a.plan)));
    await loadPlans(day.filter((a) => a.plan).map((a) => idOf(a.plan)));
    if (seq !== daySeq) return; // the desk has already moved to another day
    state.appointments = day;
    renderDay();
  } catch (error) {
    if (seq === daySeq) {
      grid.replaceChildren(h("p", { class: "error", role: "alert" }, `The day could not be loaded: ${error.message}`));
    }
  } finally {
    if (seq === daySeq) grid.setAttribute("aria-busy", "false");
  }
}

function columns() {
  if (state.columns === "room") {
    return catalog.rooms
      .filter((r) => idOf(r.location) === state.location && r.active !== false)
      .map((r) => ({ id: r.id, name: r.name, key: "room" }));
  }
  return catalog.practitioners
    .filter((p) => p.active !== false && (!p.locations || p.locations.map(idOf).includes(state.location)))
    .map((p) => ({ id: p.id, name: p.display_name, key: "practitioner" }));
}

function renderDay() {
  const tz = zone();
  const location = byId(catalog.locations, state.location);
  $("day-title").textContent = `${localDateLabel(state.date, tz)} at ${location?.name || ""} (times in ${tz})`;
  $("day-date").value = state.date;
  const spans = state.appointments.map((a) => [localParts(a.start, tz).minutes, localParts(a.end, tz).minutes || 1440]);
  const first = Math.min(DAY_START, ...spans.map(([s]) => Math.floor(s / 60) * 60));
  const last = Math.max(DAY_END, ...spans.map(([, e]) => Math.ceil(e / 60) * 60));
  const height = (last - first) * PX_PER_MINUTE;
  const cols = columns();

  const gutter = h("div", { class: "gutter", style: `height:${height}px`, "aria-hidden": "true" });
  for (let m = first; m < last; m += 60) {
    gutter.append(h("span", { class: "hour", style: `top:${(m - first) * PX_PER_MINUTE}px` }, minutesLabel(m)));
  }
  const header = h("div", { class: "grid-head" }, h("span", { class: "gutter-head" }, "Time"));
  const body = h("div", { class: "grid-body" }, gutter);
  for (const col of cols) {
    header.append(h("span", { class: "col-head" }, col.name));
    const lane = h("div", {
      class: "lane",
      role: "group",
      "aria-label": col.name,
      style: `height:${height}px`,
      dataset: { column: `${col.key}-${col.id}` },
    });
    for (let m = first; m < last; m += 60) {
      lane.append(h("span", { class: "hour-line", style: `top:${(m - first) * PX_PER_MINUTE}px` }));
    }
    state.appointments
      .filter((a) => idOf(a[col.key]) === col.id)
      .forEach((a) => lane.append(card(a, first)));
    body.append(lane);
  }
  const template = `4rem repeat(${Math.max(cols.length, 1)}, minmax(9rem, 1fr))`;
  header.style.gridTemplateColumns = template;
  body.style.gridTemplateColumns = template;
  const nowLine = h("div", { class: "now-line", id: "now-line", hidden: true, "aria-hidden": "true" });
  body.append(nowLine);
  body.dataset.first = first;
  body.dataset.last = last;
  const empty = state.appointments.length ? null : h("p", { class: "empty" }, "No appointments on this day.");
  const grid = $("day-grid");
  const keepScroll = grid.dataset.shown === `${state.location}/${state.date}`;
  const scrollTop = grid.scrollTop;
  grid.replaceChildren(header, body, ...(empty ? [empty] : []));
  if (!cols.length) grid.append(h("p", { class: "empty" }, "No practitioners or rooms at this location."));
  placeNowLine();
  // A refresh keeps the desk's place; a new day opens at the current time or the first appointment.
  grid.dataset.shown = `${state.location}/${state.date}`;
  const now = $("now-line");
  const firstCard = Math.min(...[...body.querySelectorAll(".card")].map((c) => c.offsetTop));
  const target = !now.hidden ? now.offsetTop : Number.isFinite(firstCard) ? firstCard : 0;
  grid.scrollTop = keepScroll ? scrollTop : Math.max(0, target - 80);
}

function card(appointment, first) {
  const tz = zone();
  const start = localParts(appointment.start, tz).minutes;
  const end = localParts(appointment.end, tz).minutes || 1440;
  const name = appointmentPatientName(appointment);
  const therapy = byId(catalog.therapyTypes, idOf(appointment.therapy_type));
  const plan = planOf(appointment);
  const session = sessionOf(appointment);
  const room = byId(catalog.rooms, idOf(appointment.room));
  const device = byId(catalog.devices, idOf(appointment.device));
  const practitioner = byId(catalog.practitioners, idOf(appointment.practitioner));
  const statusLabel = config.appointment_statuses[appointment.status] || appointment.status;
  const other = state.columns === "room" ? practitioner?.display_name : room?.name;
  // Most important first: a short card still shows when, who and the status.
  const lines = [
    h(
      "span",
      { class: "card-time" },
      `${localTime(appointment.start, tz)}–${localTime(appointment.end, tz)} `,
      h("span", { class: "card-status" }, statusLabel),
    ),
    h("strong", { class: "card-patient" }, name),
    h(
      "span",
      {},
      therapy?.name || "Therapy",
      session && plan ? h("span", { class: "card-session" }, `, session ${session.sequence} of ${plan.sessions_planned}`) : null,
    ),
    h("span", {}, [other, device?.name].filter(Boolean).join(" · ")),
  ];
  const inactive = !ACTIVE.includes(appointment.status) && appointment.status !== "completed";
  return h(
    "button",
    {
      type: "button",
      class: `card status-${appointment.status}${inactive ? " inactive" : ""}`,
      style: `top:${(start - first) * PX_PER_MINUTE}px;height:${Math.max((end - start) * PX_PER_MINUTE, 28)}px`,
      dataset: { appointment: appointment.id },
      "aria-label": `${localTime(appointment.start, tz)} ${name}, ${therapy?.name || ""}, ${statusLabel}`,
      onclick: () => openAppointment(appointment.id),
    },
    lines,
  );
}

function placeNowLine() {
  const line = $("now-line");
  const body = line?.parentElement;
  if (!line) return;
  const now = localParts(Date.now(), zone());
  const first = Number(body.dataset.first);
  const last = Number(body.dataset.last);
  line.hidden = !(now.date === state.date && now.minutes >= first && now.minutes <= last);
  line.style.top = `${(now.minutes - first) * PX_PER_MINUTE}px`;
  line.title = `Now ${minutesLabel(now.minutes)}`;
}

function setDate(date) {
  state.date = date;
  loadDay();
}

// --- the appointment dialog: details, plan windows, actions ----------------------------------------------

let openId = null;

function openAppointment(id) {
  openId = id;
  renderAppointment();
  showMessage($("appointment-message"), "");
  $("cancel-form").hidden = true;
  const dialog = $("appointment-dialog");
  if (!dialog.open) dialog.showModal();
}

function renderAppointment() {
  const appointment = state.appointments.find((a) => a.id === openId);
  if (!appointment) return;
  const tz = zone();
  const name = appointmentPatientName(appointment);
  const therapy = byId(catalog.therapyTypes, idOf(appointment.therapy_type));
  const plan = planOf(appointment);
  const session = sessionOf(appointment);
  const rows = [
    ["Patient", name],
    ["When", `${localDateLabel(appointment.start, tz)}, ${localTime(appointment.start, tz)}–${localTime(appointment.end, tz)}`],
    ["Therapy", therapy?.name],
    ["Session", session && plan ? `${session.sequence} of ${plan.sessions_planned}` : "single visit"],
    ["Practitioner", byId(catalog.practitioners, idOf(appointment.practitioner))?.display_name],
    ["Room", byId(catalog.rooms, idOf(appointment.room))?.name],
    ["Device", byId(catalog.devices, idOf(appointment.device))?.name || "none"],
    ["Status", config.appointment_statuses[appointment.status] || appointment.status],
  ];
  $("appointment-title").textContent = `${name} at ${localTime(appointment.start, tz)}`;
  $("appointment-details").replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v || "")]));
  $("appointment-windows").replaceChildren(...(plan ? [planWindows(plan, session)] : []));
  $("appointment-actions").hidden = !ACTIVE.includes(appointment.status);
  $("appointment-patient-link").href = `/desk/patients/${idOf(appointment.patient)}/`;
}

function planWindows(plan, current) {
  return h(
    "div",
    { class: "windows" },
    h("h3", {}, "Plan windows (keep the course on track)"),
    h(
      "ol",
      {},
      plan.sessions.map((s) =>
        h(
          "li",
          { class: current && s.id === current.id ? "current" : "" },
          `Session ${s.sequence}: ${s.window_start} to ${s.window_end} (${s.status})`,
        ),
      ),
    ),
    plan.needs_attention ? h("p", { class: "warning" }, `Needs attention: ${plan.attention_reason}`) : null,
  );
}

async function appointmentAction(action, body) {
  const message = $("appointment-message");
  try {
    const updated = await api(`appointments/${openId}/${action}/`, { method: "POST", body: body || {} });
    const label = config.appointment_statuses[updated.status] || updated.status;
    flash(`${appointmentPatientName(updated)}: ${label.toLowerCase()}.`, "success");
    if (updated.plan || updated.session) plans.clear();
    $("appointment-dialog").close();
    await Promise.all([loadDay(), loadAttention()]);
  } catch (error) {
    showMessage(message, error.message);
  }
}

function setupDialog() {
  $("appointment-actions").addEventListener("click", (event) => {
    const action = event.target.closest("button")?.dataset.action;
    if (!action) return;
    if (action === "show-cancel") {
      $("cancel-form").hidden = false;
      $("cancel-reason").focus();
    } else if (action === "reschedule") {
      const appointment = state.appointments.find((a) => a.id === openId);
      $("appointment-dialog").close();
      startReschedule(appointment);
    } else {
      appointmentAction(action);
    }
  });
  $("cancel-form").addEventListener("submit", (event) => {
    event.preventDefault();
    appointmentAction("cancel", { reason: $("cancel-reason").value });
    $("cancel-reason").value = "";
  });
}

// --- patients: search as you type and registration -------------------------------------------------------

let searchSeq = 0;
let searchTimer = null;

async function searchPatients(query) {
  const seq = ++searchSeq;
  const list = $("patient-results");
  if (query.trim().length < 2) {
    list.replaceChildren();
    return;
  }
  try {
    const page = await api("patients/", { params: { search: query.trim() } });
    if (seq !== searchSeq) return; // a newer keystroke already asked
    const rows = page.results || page;
    rows.forEach((p) => patients.set(p.id, p));
    list.replaceChildren(...(rows.length ? rows.map(patientItem) : [h("li", { class: "empty" }, "No patient found.")]));
  } catch (error) {
    if (seq === searchSeq) list.replaceChildren(h("li", { class: "error" }, error.message));
  }
}

function patientItem(patient) {
  const contact = [patient.date_of_birth, patient.email || "no email", patient.phone].filter(Boolean).join(" · ");
  return h(
    "li",
    { class: "patient-item" },
    h("span", {}, h("strong", {}, patientName(patient)), h("small", {}, contact)),
    h("span", { class: "item-actions" },
      h("button", { type: "button", onclick: () => startBooking(patient), "aria-label": `Book for ${patientName(patient)}` }, "Book"),
      h("a", { href: `/desk/patients/${patient.id}/`, "aria-label": `Record of ${patientName(patient)}` }, "Record"),
    ),
  );
}

function setupPatients() {
  $("patient-search").addEventListener("input", (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => searchPatients(event.target.value), 200);
  });
  const form = $("register-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    // Stray spaces around what was typed are not part of it (the API checks the phone strictly).
    const data = Object.fromEntries([...new FormData(form)].map(([name, value]) => [name, value.trim()]));
    data.email_reminders = $("reg-email_reminders").checked;
    try {
      const patient = await api("patients/", { method: "POST", body: data });
      patients.set(patient.id, patient);
      flash(`${patientName(patient)} registered.`, "success");
      form.reset();
      $("register").open = false;
      $("patient-results").replaceChildren(patientItem(patient));
      startBooking(patient);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showFieldErrors(form, error, "reg-");
    }
  });
}

// --- booking: patient -> therapy or plan session -> slots -> confirm ---------------------------------------

async function startBooking(patient, reschedule = null) {
  booking = { patient, reschedule, choice: null, slots: [], selected: null };
  $("booking").hidden = false;
  $("booking-heading").textContent = reschedule ? "Reschedule" : "Book";
  $("booking-patient").textContent = `Patient: ${patientName(patient)}`;
  $("booking-from").value = todayIn(zone());
  showMessage($("booking-message"), "");
  $("slots").replaceChildren();
  $("confirm").hidden = true;
  $("plan-actions").replaceChildren();
  $("booking-what").hidden = Boolean(reschedule);
  $("booking-heading").focus();
  if (reschedule) {
    const session = sessionOf(reschedule);
    booking.choice = { therapyType: idOf(reschedule.therapy_type), session, plan: planOf(reschedule) };
    $("booking-practitioner").value = "";
    showWindow(session);
    return findSlots();
  }
  const options = catalog.therapyTypes.map((t, i) =>
    choiceRadio(`therapy-${t.id}`, t.name, { therapyType: t.id }, i === 0),
  );
  $("booking-options").replaceChildren(...options);
  selectChoice({ therapyType: catalog.therapyTypes[0]?.id });
  try {
    const active = (await patientPlans(patient.id)).filter((plan) => plan.status === "active");
    for (const plan of active) {
      const therapy = byId(catalog.therapyTypes, idOf(plan.therapy_type));
      const next = plan.sessions.find((s) => s.status === "planned");
      if (!next) continue;
      $("booking-options").append(
        choiceRadio(
          `plan-${plan.id}`,
          `${therapy?.name} plan: next session ${next.sequence} of ${plan.sessions_planned} (window ${next.window_start} to ${next.window_end})`,
          { therapyType: therapy?.id, plan, session: next },
        ),
      );
      $("plan-actions").append(
        h("button", { type: "button", onclick: () => scheduleAll(plan) }, `Schedule all remaining ${therapy?.name} sessions`),
      );
    }
  } catch (error) {
    showMessage($("booking-message"), `The patient's plans could not be loaded: ${error.message}`);
  }
}

function choiceRadio(id, label, choice, checked = false) {
  return h(
    "label",
    { class: "choice", for: `choice-${id}` },
    h("input", { type: "radio", name: "booking-choice", id: `choice-${id}`, checked, onchange: () => selectChoice(choice) }),
    ` ${label}`,
  );
}

function selectChoice(choice) {
  booking.choice = choice;
  booking.selected = null;
  $("slots").replaceChildren();
  $("confirm").hidden = true;
  showWindow(choice.session);
}

// A plan session is searched inside its window only, so the desk cannot break the course by accident.
function showWindow(session) {
  $("booking-window").textContent = session
    ? `Session ${session.sequence} must fall between ${session.window_start} and ${session.window_end}.`
    : "";
  if (session) {
    const today = todayIn(zone());
    $("booking-from").value = session.window_start > today ? session.window_start : today;
  }
}

async function startReschedule(appointment) {
  await loadPatients([idOf(appointment.patient)]);
  startBooking(patients.get(idOf(appointment.patient)), appointment);
}

function slotRange() {
  const tz = zone();
  const from = zoneMidnight($("booking-from").value || todayIn(tz), tz);
  const start = new Date(Math.max(from.getTime(), Date.now()));
  let end = new Date(start.getTime() + 14 * 86400000);
  const session = booking.choice?.session;
  if (session) end = zoneMidnight(addDays(session.window_end, 1), tz);
  return { start: start.toISOString(), end: end.toISOString() };
}

async function findSlots(keepMessage = false) {
  if (!booking?.choice?.therapyType) return;
  if (!keepMessage) showMessage($("booking-message"), "");
  $("confirm").hidden = true;
  booking.selected = null;
  const box = $("slots");
  box.setAttribute("aria-busy", "true");
  box.replaceChildren(h("p", {}, "Looking for free slots…"));
  try {
    const data = await api("availability/", {
      params: {
        therapy_type: booking.choice.therapyType,
        location: state.location,
        practitioner: $("booking-practitioner").value,
        patient: booking.patient.id,
        limit: 40,
        ...slotRange(),
      },
    });
    booking.slots = data.slots || [];
    renderSlots();
  } catch (error) {
    box.replaceChildren();
    showRefusal(error);
  } finally {
    box.setAttribute("aria-busy", "false");
  }
}

function slotLabel(slot) {
  const practitioner = byId(catalog.practitioners, idOf(slot.practitioner))?.display_name;
  const room = byId(catalog.rooms, idOf(slot.room))?.name;
  return `${localTime(slot.start, zone())} ${practitioner || ""} · ${room || ""}`;
}

function renderSlots() {
  const tz = zone();
  const box = $("slots");
  if (!booking.slots.length) {
    box.replaceChildren(h("p", { class: "empty" }, "No free slot in this range. Try later dates or any practitioner."));
    return;
  }
  const days = new Map();
  for (const slot of booking.slots) {
    const day = localParts(slot.start, tz).date;
    if (!days.has(day)) days.set(day, []);
    days.get(day).push(slot);
  }
  box.replaceChildren(
    ...[...days].map(([day, slots]) =>
      h(
        "section",
        { class: "slot-day" },
        h("h3", {}, localDateLabel(day, tz)),
        h(
          "div",
          { class: "slot-list", role: "group", "aria-label": localDateLabel(day, tz) },
          slots.map((slot) =>
            h(
              "button",
              {
                type: "button",
                class: "slot",
                "aria-pressed": "false",
                dataset: { start: slot.start, practitioner: idOf(slot.practitioner) },
                onclick: (event) => chooseSlot(slot, event.currentTarget),
              },
              slotLabel(slot),
            ),
          ),
        ),
      ),
    ),
  );
}

function chooseSlot(slot, button) {
  booking.selected = slot;
  $("slots").querySelectorAll(".slot").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
  const therapy = byId(catalog.therapyTypes, booking.choice.therapyType);
  const session = booking.choice.session;
  const what = session ? `${therapy?.name} session ${session.sequence}` : therapy?.name;
  const verb = booking.reschedule ? "Move" : "Book";
  $("confirm-text").textContent = `${verb} ${what} for ${patientName(booking.patient)} on ${localDateLabel(slot.start, zone())} at ${slotLabel(slot)}?`;
  $("confirm").hidden = false;
  $("confirm-booking").textContent = booking.reschedule ? "Confirm new time" : "Confirm booking";
  $("confirm-booking").focus();
}

async function confirmBooking() {
  const slot = booking.selected;
  if (!slot) return;
  const message = $("booking-message");
  const button = $("confirm-booking");
  button.disabled = true;
  try {
    let appointment;
    if (booking.reschedule) {
      appointment = await api(`appointments/${booking.reschedule.id}/reschedule/`, {
        method: "POST",
        body: { start: slot.start, practitioner: idOf(slot.practitioner) },
      });
    } else {
      appointment = await api("appointments/", {
        method: "POST",
        headers: { "Idempotency-Key": newIdempotencyKey() },
        body: {
          patient: booking.patient.id,
          therapy_type: booking.choice.therapyType,
          practitioner: idOf(slot.practitioner),
          start: slot.start,
          room: idOf(slot.room),
          device: idOf(slot.device),
          session: booking.choice.session?.id,
        },
      });
    }
    flash(`${booking.reschedule ? "Moved" : "Booked"}: ${patientName(booking.patient)} on ${localDateLabel(appointment.start, zone())} at ${localTime(appointment.start, zone())}.`, "success");
    plans.clear();
    closeBooking();
    state.date = localParts(appointment.start, zone()).date;
    await Promise.all([loadDay(), loadAttention()]);
    document.querySelector(`.card[data-appointment="${appointment.id}"]`)?.focus();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.code === "slot_unavailable") {
      showMessage(message, "That slot was just taken, pick another. The list below is fresh.");
      await findSlots(true);
    } else {
      showRefusal(error);
      $("confirm").hidden = true;
    }
  } finally {
    button.disabled = false;
  }
}

// A refusal as what it means to the desk: the findings of a contraindication, or the API's sentence and fields.
function showRefusal(error) {
  const message = $("booking-message");
  if (error.code === "contraindicated") {
    const findings = [...(error.body.blocking || []), ...(error.body.warnings || [])];
    showMessage(message, contraindicationMessage(error), "error", findingsList(findings));
    return;
  }
  const fields = Object.entries(error.errors || {}).map(([f, m]) => `${f}: ${[].concat(m).join(" ")}`);
  showMessage(message, [error.message, ...fields].join(" "));
}

function closeBooking() {
  booking = null;
  $("booking").hidden = true;
}

async function scheduleAll(plan) {
  showMessage($("booking-message"), "");
  try {
    const data = await api(`plans/${plan.id}/schedule/`, { method: "POST", body: {} });
    const results = Array.isArray(data) ? data : data.results || data.placements || [];
    const items = await Promise.all(
      results.map(async (r) => {
        const appointmentId = idOf(r.appointment_id ?? r.appointment);
        if (!appointmentId) return h("li", { class: "error" }, `Session ${r.sequence}: not placed: ${r.reason || "no free slot in its window"}`);
        const appointment = await api(`appointments/${appointmentId}/`);
        const when = `${localDateLabel(appointment.start, zone())} at ${localTime(appointment.start, zone())}`;
        return h("li", {}, `Session ${r.sequence}: ${r.reason || "booked"} ${when}`);
      }),
    );
    plans.clear();
    // The plan's next session has changed: offer the fresh choices, then the result of each session under them.
    await startBooking(booking.patient);
    const heading = h("h3", { tabindex: "-1" }, "Scheduled sessions");
    $("plan-actions").append(h("div", { class: "schedule-result" }, heading, h("ul", {}, items)));
    heading.focus();
    await Promise.all([loadDay(), loadAttention()]);
  } catch (error) {
    showRefusal(error);
  }
}

function setupBooking() {
  $("find-slots").addEventListener("click", () => findSlots());
  $("confirm-booking").addEventListener("click", confirmBooking);
  $("cancel-booking").addEventListener("click", () => {
    $("confirm").hidden = true;
    $("slots").querySelector('.slot[aria-pressed="true"]')?.focus();
  });
  $("close-booking").addEventListener("click", closeBooking);
}

// --- lists that need a person ------------------------------------------------------------------------------

async function loadAttention() {
  await Promise.all([loadAttentionPlans(), loadFailedReminders(), loadNoEmailPatients()]);
}

async function fillList(list, loader) {
  try {
    const items = await loader();
    list.replaceChildren(...(items.length ? items : [h("li", { class: "empty" }, "Nothing here.")]));
  } catch (error) {
    list.replaceChildren(h("li", { class: "error" }, error.message));
  }
}

function loadAttentionPlans() {
  return fillList($("attention-plans"), async () => {
    const page = await api("plans/", { params: { needs_attention: "true" } });
    const rows = (page.results || page).filter((plan) => plan.needs_attention);
    await loadPatients(rows.map((plan) => idOf(plan.patient)));
    return rows.map((plan) => {
      const patient = patients.get(idOf(plan.patient));
      const therapy = byId(catalog.therapyTypes, idOf(plan.therapy_type));
      return h(
        "li",
        {},
        h("span", {}, h("strong", {}, patientName(patient)), ` ${therapy?.name || ""} plan: ${plan.attention_reason || "needs attention"}`),
        h("span", { class: "item-actions" },
          h("button", { type: "button", onclick: () => startBooking(patient) }, "Book"),
          h("a", { href: `/desk/patients/${patient.id}/` }, "Record"),
        ),
      );
    });
  });
}

function loadFailedReminders() {
  return fillList($("failed-reminders"), async () => {
    const page = await api("reminders/", { params: { status: "failed" } });
    const rows = (page.results || page).filter((r) => r.status === "failed");
    const ids = [...new Set(rows.map((r) => idOf(r.appointment)))];
    const appointments = new Map(await Promise.all(ids.map(async (id) => [id, await api(`appointments/${id}/`)])));
    return rows.map((r) => {
      const appointment = appointments.get(idOf(r.appointment));
      const when = `${localDateLabel(appointment.start, zone())} ${localTime(appointment.start, zone())}`;
      return h(
        "li",
        {},
        h("span", {}, h("strong", {}, appointmentPatientName(appointment)), ` ${r.kind.replaceAll("_", " ")} for ${when}`,
          r.last_error ? h("small", {}, r.last_error) : null),
        h("a", { href: `/desk/patients/${idOf(appointment.patient)}/` }, "Record"),
      );
    });
  });
}

function loadNoEmailPatients() {
  return fillList($("no-email-patients"), async () => {
    const page = await api("patients/", { params: { has_email: "false" } });
    const rows = (page.results || page).filter((p) => !p.email);
    rows.forEach((p) => patients.set(p.id, p));
    return rows.map((p) =>
      h("li", {}, h("span", {}, h("strong", {}, patientName(p)), h("small", {}, p.phone || "no phone")),
        h("a", { href: `/desk/patients/${p.id}/` }, "Record")),
    );
  });
}

// --- start -------------------------------------------------------------------------------------------------

async function loadCatalog() {
  const [locations, practitioners, rooms, devices, therapyTypes] = await Promise.all([
    listAll("locations/"),
    listAll("practitioners/"),
    listAll("rooms/"),
    listAll("devices/"),
    listAll("therapy-types/"),
  ]);
  Object.assign(catalog, { locations, practitioners, rooms, devices, therapyTypes });
}

function setupToolbar() {
  const select = $("location-select");
  select.replaceChildren(...catalog.locations.map((l) => h("option", { value: l.id }, l.name)));
  const remembered = Number(localStorage.getItem("desk-location"));
  state.location = byId(catalog.locations, remembered) ? remembered : catalog.locations[0]?.id;
  select.value = state.location;
  select.addEventListener("change", () => {
    state.location = Number(select.value);
    localStorage.setItem("desk-location", state.location);
    loadDay();
  });
  state.date = todayIn(zone());
  $("prev-day").addEventListener("click", () => setDate(addDays(state.date, -1)));
  $("next-day").addEventListener("click", () => setDate(addDays(state.date, 1)));
  $("today").addEventListener("click", () => setDate(todayIn(zone())));
  $("day-date").addEventListener("change", (event) => event.target.value && setDate(event.target.value));
  $("refresh").addEventListener("click", () => Promise.all([loadDay(), loadAttention()]));
  document.querySelectorAll('input[name="columns"]').forEach((radio) =>
    radio.addEventListener("change", () => {
      state.columns = radio.value;
      renderDay();
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
  setupDialog();
  setupPatients();
  setupBooking();
  await Promise.all([loadDay(), loadAttention()]);
  const wanted = Number(new URLSearchParams(window.location.search).get("patient"));
  if (wanted) {
    await loadPatients([wanted]).catch(() => null);
    if (patients.has(wanted)) startBooking(patients.get(wanted));
  }
  setInterval(placeNowLine, 30000);
  // Another desk may have booked meanwhile: refresh quietly unless someone is in the middle of an action.
  setInterval(() => {
    if (!$("appointment-dialog").open && document.visibilityState === "visible") loadDay();
  }, 60000);
  document.body.dataset.ready = "true";
}

start();
