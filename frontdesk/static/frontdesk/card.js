// One appointment as a card on the grid: when, who, what, and every state a person must notice.
import { config } from "./api.js";
import { byId, catalog, state, therapyName, zone } from "./store.js";
import { h, localTime } from "./ui.js";

export function statusLabel(appointment) {
  return config.appointment_statuses[appointment.status];
}

export function sessionLabel(appointment) {
  return appointment.session ? `session ${appointment.session_sequence} of ${appointment.sessions_planned}` : "single visit";
}

// The short marks a card carries, most urgent first; each is also spoken in the card's name.
export function badges(appointment) {
  const marks = [];
  if (appointment.on_hold) marks.push(["hold", "On hold"]);
  else if (appointment.needs_attention) marks.push(["attention", "Needs attention"]);
  if (appointment.patient_confirmed_at) marks.push(["confirmed", "Confirmed by patient"]);
  if (appointment.late_cancellation) marks.push(["late", "Late cancellation"]);
  if (appointment.patient_no_show_count) marks.push(["history", `No-shows: ${appointment.patient_no_show_count}`]);
  if (appointment.patient_late_cancellation_count) {
    marks.push(["history", `Late cancellations: ${appointment.patient_late_cancellation_count}`]);
  }
  return marks;
}

export function card(appointment, style) {
  const tz = zone();
  const when = `${localTime(appointment.start, tz)}–${localTime(appointment.end, tz)}`;
  const shortWhen = state.view === "week" ? localTime(appointment.start, tz) : when;
  const other =
    state.columns === "room"
      ? appointment.practitioner_name
      : byId(catalog.rooms, appointment.room).name;
  const device = appointment.device ? byId(catalog.devices, appointment.device).name : null;
  const marks = badges(appointment);
  const movable = appointment.status === "booked";
  // Under an hour a card has room for three lines: time with its badges, patient, room (the therapy is its colour).
  const short = Date.parse(appointment.end) - Date.parse(appointment.start) < 3600000;
  const marked = marks.length ? h("span", { class: "card-badges" }, marks.map(([kind, text]) => h("span", { class: `badge badge-${kind}` }, text))) : null;
  const label = [when, appointment.patient_name, therapyName(appointment.therapy_type), sessionLabel(appointment),
    statusLabel(appointment), ...marks.map(([, text]) => text)].join(", ");
  return h(
    "button",
    {
      type: "button",
      class: `card status-${appointment.status} ${therapyClass(appointment.therapy_type)}${short ? " short" : ""}${
        appointment.on_hold ? " on-hold" : ""}${appointment.needs_attention ? " needs-attention" : ""}${movable ? " movable" : ""}`,
      style,
      dataset: { appointment: appointment.id },
      "aria-label": label,
      title: label,
    },
    h("span", { class: "card-time" }, `${shortWhen} `, h("span", { class: "card-status" }, statusLabel(appointment)), short ? marked : null),
    h("strong", { class: "card-patient" }, appointment.patient_name),
    short ? null : h("span", { class: "card-what" }, `${therapyName(appointment.therapy_type)}, ${sessionLabel(appointment)}`),
    h("span", { class: "card-where" }, [other, device].filter(Boolean).join(" · ")),
    short ? null : marked,
  );
}

// Each therapy its colour from a palette of six by its id, said in the legend: a therapy added to the catalog (which
// is sorted by name) changes no other therapy's colour.
export function therapyClass(therapyTypeId) {
  return `therapy-${therapyTypeId % 6}`;
}

// "Also changed: Tue 4 Mar 10:00 booked; Tue 1 Apr cancelled": what a move or cancel did to the rest of a course.
export function cascadeText(cascade) {
  if (!cascade?.length) return "";
  const tz = zone();
  const items = cascade.map((c) => {
    const known = state.appointments.find((a) => a.id === c.appointment);
    const what = known?.session ? `Session ${known.session_sequence}` : `Appointment ${c.appointment}`;
    const when = new Date(c.start).toLocaleString("en-GB", { timeZone: tz, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    return `${what} ${config.appointment_statuses[c.status].toLowerCase()} ${when}`;
  });
  return `Later sessions of the course changed too: ${items.join("; ")}.`;
}
