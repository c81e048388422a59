// The booking panel: a patient, what to book (a therapy or a plan's next session), then either a free slot from the
// slot finder or the time clicked on the grid, then Confirm. The same panel moves an appointment to another slot.
import { ApiError, api, listAll, newIdempotencyKey } from "./api.js";
import { cascadeText } from "./card.js";
import { byId, catalog, state, therapyName, today, zone } from "./store.js";
import { chosenDay, showSlotDays } from "./slot-finder.js";
import { contraindicationMessage, findingsList, flash, h, localDateLabel, localTime, showMessage } from "./ui.js";
import { showWaitlistOffer } from "./waitlist.js";

const $ = (id) => document.getElementById(id);
let booking = null;
let hooks = null;

export function setupBooking(options) {
  hooks = options; // { booked(appointment), pickPatient(box, onPick) }
  $("find-slots").addEventListener("click", () => findSlots());
  $("confirm-booking").addEventListener("click", confirm);
  $("cancel-booking").addEventListener("click", () => {
    $("confirm").hidden = true;
  });
  $("close-booking").addEventListener("click", closeBooking);
}

const name = (p) => `${p.first_name} ${p.last_name}`;

function open(mode) {
  booking = { patient: null, choice: null, slot: null, at: null, reschedule: null, ...mode };
  $("booking").hidden = false;
  $("booking-heading").textContent = booking.reschedule ? "Reschedule" : "Book";
  for (const id of ["slot-days", "slots", "plan-actions", "booking-options", "booking-patient", "booking-picker", "booking-at", "booking-extra", "waitlist-box"]) $(id).replaceChildren();
  showMessage($("booking-message"), "");
  $("confirm").hidden = true;
  $("booking-search").hidden = Boolean(booking.at);
  $("booking-from").value = today();
  $("booking-heading").focus();
}

// From a patient: the desk then searches for a free slot.
export async function startBooking(patient) {
  open({});
  await choosePatient(patient);
}

// From the empty time clicked on the grid: the time is fixed, the patient and what to book are chosen here.
export function startBookingAt(at) {
  open({ at });
  const who = at.practitioner ? byId(catalog.practitioners, at.practitioner).display_name
    : at.device ? byId(catalog.devices, at.device).name : byId(catalog.rooms, at.room).name;
  $("booking-at").append(h("strong", {}, `${localDateLabel(at.start, zone())} at ${localTime(at.start, zone())} with ${who}`));
  if (!at.practitioner) {
    const select = h("select", { id: "booking-at-practitioner" },
      catalog.practitioners.filter((p) => p.active && p.locations.includes(state.location)).map((p) => h("option", { value: p.id }, p.display_name)));
    $("booking-at").append(h("div", { class: "field" }, h("label", { for: select.id }, "Practitioner"), select));
  }
  $("booking-patient").textContent = "Patient: choose below";
  hooks.pickPatient($("booking-picker"), choosePatient);
}

export async function startReschedule(appointment) {
  open({ reschedule: appointment });
  booking.patient = { id: appointment.patient, first_name: appointment.patient_name, last_name: "" };
  $("booking-patient").textContent = `Patient: ${appointment.patient_name}`;
  booking.choice = { therapyType: appointment.therapy_type, session: appointment.session };
  $("booking-practitioner").value = "";
  await findSlots();
}

async function choosePatient(patient) {
  booking.patient = patient;
  $("booking-picker").replaceChildren();
  $("plan-actions").replaceChildren();
  $("booking-patient").textContent = `Patient: ${name(patient)}`;
  // At a practitioner's clicked time, only the therapies that practitioner gives are offered.
  const giver = booking.at?.practitioner ? byId(catalog.practitioners, booking.at.practitioner) : null;
  const therapies = catalog.therapyTypes.filter((t) => !giver || giver.therapy_types.includes(t.id));
  const options = therapies.map((t) => choiceRadio(`therapy-${t.id}`, t.name, { therapyType: t.id }));
  const plans = await listAll("plans/", { patient: patient.id, status: "active" });
  for (const plan of plans) {
    const next = plan.sessions.find((s) => s.status === "planned");
    if (!next) continue;
    options.unshift(choiceRadio(`plan-${plan.id}`,
      `${therapyName(plan.therapy_type)} plan: next session ${next.sequence} of ${plan.sessions_planned} (window ${next.window_start} to ${next.window_end})`,
      { therapyType: plan.therapy_type, session: next.id, window: next }));
    if (!booking.at) {
      const all = h("button", { type: "button" }, `Schedule all remaining ${therapyName(plan.therapy_type)} sessions`);
      all.addEventListener("click", () => scheduleAll(plan));
      $("plan-actions").append(all);
    }
  }
  $("booking-options").replaceChildren(...options);
  // Nothing is chosen for the desk, unless there is nothing to choose: one therapy, no plan session.
  if (options.length === 1) options[0].querySelector("input").click();
}

// Every unbooked session of the plan placed in its window by the server; one line per session saying where.
async function scheduleAll(plan) {
  try {
    const { placements } = await api(`plans/${plan.id}/schedule/`, { method: "POST", body: {} });
    const booked = new Map((await listAll("appointments/", { plan: plan.id })).map((a) => [a.id, a]));
    const items = placements.map((p) => {
      const a = booked.get(p.appointment);
      return a
        ? h("li", {}, `Session ${p.sequence}: ${p.reason || "booked"} ${localDateLabel(a.start, zone())} at ${localTime(a.start, zone())}`)
        : h("li", { class: "error" }, `Session ${p.sequence}: not placed: ${p.reason}`);
    });
    await choosePatient(booking.patient);
    const heading = h("h3", { tabindex: "-1" }, "Scheduled sessions");
    $("plan-actions").append(h("div", { class: "schedule-result" }, heading, h("ul", {}, items)));
    heading.focus();
    await hooks.booked(null);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showRefusal(error);
  }
}

function choiceRadio(id, label, choice) {
  const input = h("input", { type: "radio", name: "booking-choice", id: `choice-${id}` });
  input.addEventListener("change", () => selectChoice(choice));
  return h("label", { class: "choice", for: input.id }, input, ` ${label}`);
}

function selectChoice(choice) {
  Object.assign(booking, { choice, slot: null });
  $("slots").replaceChildren();
  $("slot-days").replaceChildren();
  const products = catalog.products.filter((p) => p.therapy_type === choice.therapyType && p.active);
  // A one-off visit of a therapy that uses a product names it (screened by its source); a plan already has one.
  $("booking-extra").replaceChildren(
    ...(choice.session || !products.length ? [] : [productField(products)]),
    choice.window ? h("p", { class: "warning", id: "booking-window" }, `Session ${choice.window.sequence} must fall between ${choice.window.window_start} and ${choice.window.window_end}.`) : "",
  );
  if (choice.window && choice.window.window_start > today()) $("booking-from").value = choice.window.window_start;
  if (booking.at) showConfirm();
}

// The product of a one-off visit: chosen by the desk (a placeholder first), unless the therapy has one only.
function productField(products) {
  const placeholder = products.length > 1 ? [h("option", { value: "" }, "Choose a product")] : [];
  const select = h("select", { id: "booking-product", required: "" },
    ...placeholder, ...products.map((p) => h("option", { value: p.id }, `${p.name} (${p.source})`)));
  select.addEventListener("change", () => (booking.at || booking.slot) && showConfirm());
  return h("div", { class: "field" }, h("label", { for: "booking-product" }, "Product"), select);
}

// The slot finder (slot-finder.js) with this panel's patient and choice; a slot picked there is confirmed here.
async function findSlots(keepDay = null) {
  if (!booking.choice) return;
  showMessage($("booking-message"), "");
  unpick();
  const found = await showSlotDays({
    params: { therapy_type: booking.choice.therapyType, location: state.location, practitioner: $("booking-practitioner").value, patient: booking.patient.id },
    from: $("booking-from").value || today(),
    window: booking.choice.window,
    keepDay,
    onDay: unpick,
    onPick: (slot) => {
      booking.slot = slot;
      showConfirm();
    },
    onRefusal: showRefusal,
  });
  if (found && !booking.reschedule) showWaitlistOffer($("waitlist-box"), { patient: booking.patient, therapyType: booking.choice.therapyType, location: state.location });
}

function unpick() {
  booking.slot = null;
  $("confirm").hidden = true;
}

function target() {
  if (booking.slot) return booking.slot;
  const at = booking.at;
  return { start: at.start, practitioner: at.practitioner || Number($("booking-at-practitioner").value), room: at.room || null, device: at.device || null };
}

function showConfirm() {
  if (!booking.patient || !booking.choice) return;
  const product = $("booking-product");
  if (product && !product.value) {
    $("confirm").hidden = true;
    product.focus();
    return;
  }
  const t = target();
  const verb = booking.reschedule ? "Move" : "Book";
  $("confirm-text").textContent = `${verb} ${therapyName(booking.choice.therapyType)} for ${booking.reschedule ? booking.reschedule.patient_name : name(booking.patient)} on ${localDateLabel(t.start, zone())} at ${localTime(t.start, zone())}?`;
  $("confirm-booking").textContent = booking.reschedule ? "Confirm new time" : "Confirm booking";
  $("confirm").hidden = false;
  $("confirm-booking").focus();
}

async function confirm() {
  const t = target();
  const button = $("confirm-booking");
  button.disabled = true;
  try {
    const answer = booking.reschedule
      ? await api(`appointments/${booking.reschedule.id}/reschedule/`, { method: "POST", body: { start: t.start, practitioner: t.practitioner, sequence: booking.reschedule.sequence } })
      : await api("appointments/", { method: "POST", headers: { "Idempotency-Key": newIdempotencyKey() }, body: bookingBody(t) });
    flash(`${booking.reschedule ? "Moved" : "Booked"}: ${answer.patient_name} on ${localDateLabel(answer.start, zone())} at ${localTime(answer.start, zone())}. ${cascadeText(answer.cascade)}`, "success");
    closeBooking();
    await hooks.booked(answer);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.code === "slot_unavailable" && booking.slot) {
      await findSlots(chosenDay());
      showMessage($("booking-message"), "That slot was just taken, pick another. The list below is fresh.");
    } else {
      showRefusal(error);
    }
  } finally {
    button.disabled = false;
  }
}

function bookingBody(t) {
  const body = { patient: booking.patient.id, therapy_type: booking.choice.therapyType, practitioner: t.practitioner, start: t.start };
  if (t.room) body.room = t.room;
  if (t.device) body.device = t.device;
  if (booking.choice.session) body.session = booking.choice.session;
  if ($("booking-product")) body.product = Number($("booking-product").value);
  return body;
}

// A refusal as what it means to the desk: the finding names of a contraindication, or the API's sentence.
export function showRefusal(error) {
  if (error.code === "contraindicated") {
    showMessage($("booking-message"), contraindicationMessage(error), "error", findingsList([...error.body.blocking, ...error.body.warnings]));
    return;
  }
  const fields = Object.entries(error.errors).map(([f, m]) => `${f}: ${[].concat(m).join(" ")}`);
  showMessage($("booking-message"), [error.message, ...fields].join(" "));
}

export function closeBooking() {
  booking = null;
  $("booking").hidden = true;
}

export function bookingOpen() {
  return booking !== null;
}
