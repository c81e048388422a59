// What the desk knows: the catalog (read once), the shown range, its appointments and closures.
import { api, config, listAll } from "./api.js";
import { addDays, localParts, todayIn } from "./ui.js";

export const catalog = { locations: [], practitioners: [], rooms: [], devices: [], therapyTypes: [], products: [], lots: [] };
export const state = {
  location: null, date: null, view: "day", columns: "practitioner", appointments: [], closures: [], schedule: null, pending: [],
};
export const byId = (rows, id) => rows.find((row) => row.id === id);
// Clinical controls are offered to the roles the API lets use them; the API still decides every request.
export const clinical = config.roles.includes("practitioner") || config.roles.includes("clinic_admin");
export const ACTIVE = ["booked", "checked_in"];

export function zone() {
  return byId(catalog.locations, state.location).time_zone;
}

export async function loadCatalog() {
  const [locations, practitioners, rooms, devices, therapyTypes, products, lots] = await Promise.all([
    listAll("locations/"),
    listAll("practitioners/"),
    listAll("rooms/"),
    listAll("devices/"),
    listAll("therapy-types/"),
    listAll("products/"),
    listAll("product-lots/"),
  ]);
  Object.assign(catalog, { locations, practitioners, rooms, devices, therapyTypes, products, lots });
}

// Monday of the week that holds `date` (ISO weekday from a UTC noon, so no zone can shift it).
export function weekStart(date) {
  const weekday = (new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(date, -weekday);
}

// The local dates the grid shows: one day, or Monday to Sunday.
export function shownDays() {
  if (state.view === "day") return [state.date];
  const first = weekStart(state.date);
  return Array.from({ length: 7 }, (_, i) => addDays(first, i));
}

// The columns of each day: the location's active practitioners, rooms or devices (the centrifuge).
export function resources() {
  if (state.columns === "room" || state.columns === "device") {
    const rows = state.columns === "room" ? catalog.rooms : catalog.devices;
    return rows
      .filter((r) => r.location === state.location && r.active)
      .map((r) => ({ id: r.id, name: r.name, key: state.columns }));
  }
  return catalog.practitioners
    .filter((p) => p.active && p.locations.includes(state.location))
    .map((p) => ({ id: p.id, name: p.display_name, key: "practitioner" }));
}

// The shown range's appointments, the location's closures on those days and who works when (the schedule): two
// requests for a week (the API serves up to 31 days, up to 1000 appointments a page).
export async function loadRange() {
  const days = shownDays();
  const range = { location: state.location, date_from: days[0], date_to: days[days.length - 1] };
  // Slots held by online requests waiting for the patient's email link (nobody else can book them meanwhile),
  // asked for alongside the appointments and who works when.
  const held = api("online-requests/", { params: { status: "pending", location: state.location } });
  const [first, schedule] = await Promise.all([
    api("appointments/", { params: { ...range, page_size: 1000 } }),
    api("schedule/", { params: range }),
  ]);
  let page = first;
  const appointments = [...page.results];
  while (page.next) {
    page = await api(page.next);
    appointments.push(...page.results);
  }
  const pending = (await held).results.filter((r) => Date.parse(r.expires_at) > Date.now());
  return { appointments, closures: first.closures, schedule, pending };
}

// Local [start, end) minutes of `date` covered by the instants of `intervals` (clipped to the day).
function minutesOn(date, intervals) {
  const tz = zone();
  return intervals
    .map((i) => {
      const from = localParts(i.start, tz);
      const to = localParts(i.end, tz);
      if (from.date > date || to.date < date) return null;
      return [from.date < date ? 0 : from.minutes, to.date > date ? 1440 : to.minutes];
    })
    .filter((span) => span && span[0] < span[1]);
}

function minus(spans, holes) {
  return holes.reduce(
    (left, [a, b]) => left.flatMap(([s, e]) => (b <= s || a >= e ? [[s, e]] : [[s, a], [b, e]].filter(([x, y]) => x < y))),
    spans,
  );
}

// When a practitioner can be booked on a local date: working intervals less time off, as [start, end) minutes.
export function bookableMinutes(date, practitionerId) {
  const row = state.schedule?.practitioners.find((p) => p.id === practitionerId);
  if (!row) return [];
  return minus(minutesOn(date, row.working), minutesOn(date, row.time_off));
}

// A room can be booked whenever some practitioner can: the union of their bookable minutes.
export function anyoneBookable(date) {
  const spans = (state.schedule?.practitioners || []).flatMap((p) => bookableMinutes(date, p.id)).sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const [s, e] of spans) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged;
}

// What a lane shows on a local date: the minutes it can be booked, those outside working hours, those of time off.
export function laneTime(date, resource) {
  if (resource.key !== "practitioner") {
    const bookable = anyoneBookable(date);
    return { bookable, outside: minus([[0, 1440]], bookable), away: [] };
  }
  const row = state.schedule?.practitioners.find((p) => p.id === resource.id);
  const working = row ? minutesOn(date, row.working) : [];
  const away = row ? minutesOn(date, row.time_off) : [];
  return { bookable: minus(working, away), outside: minus([[0, 1440]], working), away };
}

// The working minutes of every practitioner on a local date (time off included): what sizes the grid.
export function workingMinutes(date) {
  return (state.schedule?.practitioners || []).flatMap((p) => minutesOn(date, p.working));
}

export function dateOf(appointment) {
  return localParts(appointment.start, zone()).date;
}

export function today() {
  return todayIn(zone());
}

export function therapyName(id) {
  return byId(catalog.therapyTypes, id).name;
}
