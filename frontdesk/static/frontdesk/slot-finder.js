// The slot finder of the booking panel: a strip of days with the number of free starts on each (a day without any
// cannot be chosen), then every free start of the chosen day, grouped into morning, afternoon and evening in the
// location's time zone. Nothing is cut off: a day's slots come in one answer.
import { ApiError, api } from "./api.js";
import { byId, catalog, zone } from "./store.js";
import { addDays, h, localDateLabel, localParts, localTime, zoneMidnight } from "./ui.js";

const $ = (id) => document.getElementById(id);
const DAY_LIMIT = 200; // the API's largest limit: more than a day of starts for a few practitioners
const STRIP_DAYS = 14;
const MAX_STRIP_DAYS = 62; // the API's longest range
const PERIODS = [["Morning", 0, 12 * 60], ["Afternoon", 12 * 60, 17 * 60], ["Evening", 17 * 60, 24 * 60]];
let search = null; // { params, range: { start, end }, day, onDay, onPick, onRefusal }

export function chosenDay() {
  return search?.day ?? null;
}

// Load the strip for 14 days from `from` (or to the end of a plan session's window) and show `keepDay` when it still
// has a free start, else the first day that has. Answers whether the search was answered (not refused).
export async function showSlotDays({ params, from, window, keepDay = null, onDay, onPick, onRefusal }) {
  const tz = zone();
  const start = new Date(Math.max(zoneMidnight(from, tz).getTime(), Date.now()));
  const last = window ? addDays(window.window_end, 1) : addDays(from, STRIP_DAYS);
  const end = new Date(Math.min(zoneMidnight(last, tz).getTime(), start.getTime() + MAX_STRIP_DAYS * 86400000));
  search = { params, range: { start, end }, day: null, onDay, onPick, onRefusal };
  const strip = $("slot-days");
  strip.setAttribute("aria-busy", "true");
  $("slots").replaceChildren();
  try {
    const { days } = await api("availability/days/", { params: { ...params, start: start.toISOString(), end: end.toISOString() } });
    renderDays(days);
    const open = days.filter((d) => d.free_starts > 0);
    const chosen = open.find((d) => d.date === keepDay) || open[0];
    if (chosen) await showDay(chosen.date);
    else $("slots").replaceChildren(h("p", { class: "empty" }, "No free slot in this range. Try later dates or any practitioner."));
    return true;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    strip.replaceChildren();
    onRefusal(error);
    return false;
  } finally {
    strip.setAttribute("aria-busy", "false");
  }
}

function renderDays(days) {
  const buttons = days.map(({ date, free_starts: free }) => {
    const label = new Date(`${date}T12:00:00Z`).toLocaleDateString("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric" });
    const b = h("button", { type: "button", class: "day-choice", "aria-pressed": "false", disabled: free === 0, title: localDateLabel(date, zone()), dataset: { date, free } },
      `${label} · ${free} free`);
    b.addEventListener("click", () => showDay(date));
    return b;
  });
  $("slot-days").replaceChildren(...buttons);
}

async function showDay(day) {
  const current = search;
  current.day = day;
  current.onDay();
  for (const b of $("slot-days").querySelectorAll(".day-choice")) b.setAttribute("aria-pressed", String(b.dataset.date === day));
  const tz = zone();
  const start = new Date(Math.max(zoneMidnight(day, tz).getTime(), current.range.start.getTime()));
  const end = new Date(Math.min(zoneMidnight(addDays(day, 1), tz).getTime(), current.range.end.getTime()));
  const box = $("slots");
  box.setAttribute("aria-busy", "true");
  try {
    const data = await api("availability/", { params: { ...current.params, limit: DAY_LIMIT, start: start.toISOString(), end: end.toISOString() } });
    // A later click (another day, another search) has the last word.
    if (search === current && current.day === day) renderSlots(day, data);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    box.replaceChildren();
    current.onRefusal(error);
  } finally {
    box.setAttribute("aria-busy", "false");
  }
}

function renderSlots(day, { slots, more }) {
  const tz = zone();
  const sections = PERIODS.map(([period, from, to]) => {
    const inPeriod = slots.filter((slot) => {
      const minutes = localParts(slot.start, tz).minutes;
      return minutes >= from && minutes < to;
    });
    if (!inPeriod.length) return null;
    const list = h("div", { class: "slot-list", role: "group", "aria-label": `${period}, ${localDateLabel(day, tz)}` }, inPeriod.map(slotButton));
    return h("section", { class: "slot-period", dataset: { period: period.toLowerCase() } }, h("h4", {}, period), list);
  });
  const box = $("slots");
  box.replaceChildren(h("section", { class: "slot-day", dataset: { day } }, h("h3", {}, localDateLabel(day, tz)), ...sections.filter(Boolean)));
  if (!slots.length) box.append(h("p", { class: "empty" }, "No free slot left on this day. Choose another day."));
  if (more) box.append(h("p", { class: "warning" }, "More free times than shown: choose a practitioner to see them all."));
}

function slotButton(slot) {
  const tz = zone();
  const label = `${localTime(slot.start, tz)} ${byId(catalog.practitioners, slot.practitioner).display_name} · ${byId(catalog.rooms, slot.room).name}`;
  const b = h("button", { type: "button", class: "slot", "aria-pressed": "false", dataset: { start: slot.start, practitioner: slot.practitioner } }, label);
  b.addEventListener("click", () => {
    $("slots").querySelectorAll(".slot").forEach((other) => other.setAttribute("aria-pressed", String(other === b)));
    search.onPick(slot);
  });
  return b;
}
