// What the desk knows: the catalog (read once), the shown range, its appointments and closures.
import { api, config, listAll } from "./api.js";
import { addDays, localParts, todayIn } from "./ui.js";

export const catalog = { locations: [], practitioners: [], rooms: [], devices: [], therapyTypes: [], products: [], lots: [] };
export const state = { location: null, date: null, view: "day", columns: "practitioner", appointments: [], closures: [], pending: [] };
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

// The columns of each day: the location's active practitioners or rooms.
export function resources() {
  if (state.columns === "room") {
    return catalog.rooms
      .filter((r) => r.location === state.location && r.active)
      .map((r) => ({ id: r.id, name: r.name, key: "room" }));
  }
  return catalog.practitioners
    .filter((p) => p.active && p.locations.includes(state.location))
    .map((p) => ({ id: p.id, name: p.display_name, key: "practitioner" }));
}

// The shown range's appointments and the location's closures on those days: one request for a week (the API
// serves up to 31 days, up to 1000 a page).
export async function loadRange() {
  const days = shownDays();
  // Slots held by online requests waiting for the patient's email link (nobody else can book them meanwhile),
  // asked for alongside the appointments.
  const held = api("online-requests/", { params: { status: "pending", location: state.location } });
  let page = await api("appointments/", {
    params: { location: state.location, date_from: days[0], date_to: days[days.length - 1], page_size: 1000 },
  });
  const { closures } = page;
  const appointments = [...page.results];
  while (page.next) {
    page = await api(page.next);
    appointments.push(...page.results);
  }
  const pending = (await held).results.filter((r) => Date.parse(r.expires_at) > Date.now());
  return { appointments, closures, pending };
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
