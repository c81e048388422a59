// The Day and Week grid: a time gutter, then per day one lane per practitioner (or room) with its cards.
// Empty time is a column of buttons (15 minutes each): clicking one starts a booking there.
import { card } from "./card.js";
import { ACTIVE, byId, catalog, dateOf, laneTime, resources, shownDays, state, workingMinutes, zone } from "./store.js";
import { h, localDateLabel, localParts, localTime, minutesLabel, zoneMidnight } from "./ui.js";

export const STEP = 15;
const DAY_START = 8 * 60;
const DAY_END = 18 * 60;

export function scale() {
  return state.view === "day" ? 1.4 : 1;
}

// The UTC instant of a local date and minute of the day in the location's zone.
export function instantOf(date, minutes) {
  return new Date(zoneMidnight(date, zone()).getTime() + minutes * 60000);
}

// The hours the grid spans: the practitioners' working hours on the days drawn and every appointment on them
// (08:00-18:00 when nobody works and nothing is booked).
function hoursShown(days) {
  const tz = zone();
  const spans = [
    ...days.flatMap((date) => workingMinutes(date)),
    ...state.appointments.map((a) => [localParts(a.start, tz).minutes, localParts(a.end, tz).minutes || 1440]),
  ];
  if (!spans.length) return { first: DAY_START, last: DAY_END };
  return {
    first: Math.min(...spans.map(([s]) => Math.floor(s / 60) * 60)),
    last: Math.max(...spans.map(([, e]) => Math.ceil(e / 60) * 60)),
  };
}

// The days drawn: in the week view, days the location is closed or nobody works are left out unless something is
// booked on them.
export function drawnDays() {
  const days = shownDays();
  if (state.view === "day") return days;
  const open = days.filter(
    (date) => (!closureOf(date) && workingMinutes(date).length) || state.appointments.some((a) => dateOf(a) === date),
  );
  return open.length ? open : days;
}

function dayLabel(date) {
  const d = new Date(`${date}T12:00:00Z`);
  return d.toLocaleDateString("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" });
}

function closureOf(date) {
  return state.closures.find((c) => c.date === date);
}

// Grey blocks over what cannot be booked: outside working hours, and time off (said in words).
function shading(time, first, last) {
  const block = ([s, e], kind, text) => {
    const from = Math.max(s, first);
    const to = Math.min(e, last);
    if (from >= to) return null;
    return h("div", { class: `off ${kind}`, style: `top:${(from - first) * scale()}px;height:${(to - from) * scale()}px`, title: text },
      kind === "time-off" && to - from >= 30 ? h("span", {}, text) : null);
  };
  return [
    ...time.outside.map((span) => block(span, "outside", "Not working")),
    ...time.away.map((span) => block(span, "time-off", "Time off")),
  ].filter(Boolean);
}

function cells(date, resource, first, last, bookable) {
  const now = Date.now();
  const name = resource.name;
  const out = [];
  for (let m = first; m < last; m += STEP) {
    const start = instantOf(date, m);
    if (start.getTime() < now) continue;
    if (!bookable.some(([s, e]) => m >= s && m + STEP <= e)) continue;
    out.push(
      h("button", {
        type: "button",
        class: "cell",
        tabindex: "-1",
        style: `top:${(m - first) * scale()}px;height:${STEP * scale()}px`,
        dataset: { start: start.toISOString(), minutes: m },
        "aria-label": `Book ${name}, ${dayLabel(date)} ${minutesLabel(m)}`,
      }),
    );
  }
  return out;
}

function cardStyle(appointment, first) {
  const tz = zone();
  const start = localParts(appointment.start, tz).minutes;
  const end = localParts(appointment.end, tz).minutes || 1440;
  const side = ACTIVE.includes(appointment.status) || appointment.status === "completed" ? "" : "left:50%;opacity:.75;";
  return `${side}top:${(start - first) * scale()}px;height:${Math.max((end - start) * scale(), 26)}px`;
}

function lane(date, resource, first, last) {
  const height = (last - first) * scale();
  const closure = closureOf(date);
  const el = h("div", {
    class: `lane${closure ? " closed" : ""}`,
    role: "group",
    "aria-label": `${resource.name}, ${dayLabel(date)}`,
    style: `height:${height}px`,
    dataset: { date, key: resource.key, resource: resource.id },
  });
  for (let m = first; m < last; m += 60) {
    el.append(h("span", { class: "hour-line", style: `top:${(m - first) * scale()}px` }));
  }
  if (closure) el.append(h("p", { class: "closure" }, `Closed: ${closure.name}`));
  else {
    const time = laneTime(date, resource);
    el.append(...shading(time, first, last), ...cells(date, resource, first, last, time.bookable));
  }
  state.appointments
    .filter((a) => a[resource.key] === resource.id && dateOf(a) === date)
    .forEach((a) => el.append(card(a, cardStyle(a, first))));
  state.pending
    .filter((r) => r[resource.key] === resource.id && dateOf(r) === date)
    .forEach((r) => el.append(h("div", { class: "card pending-online", style: cardStyle({ ...r, status: "booked" }, first) },
      h("span", { class: "card-time" }, `${localTime(r.start, zone())} Pending online request`),
      h("span", { class: "card-status" }, `held until ${localTime(r.expires_at, zone())}`))));
  return el;
}

export function renderGrid(grid) {
  const tz = zone();
  const days = drawnDays();
  const cols = resources();
  const { first, last } = hoursShown(days);
  const height = (last - first) * scale();
  const location = byId(catalog.locations, state.location);
  const week = shownDays();
  const range = state.view === "day" ? localDateLabel(days[0], tz) : `${localDateLabel(week[0], tz)} to ${localDateLabel(week[6], tz)}`;
  const hidden = week.filter((date) => !days.includes(date)).map(dayLabel);
  const closedNote = hidden.length ? `; closed or nobody working, not shown: ${hidden.join(", ")}` : "";
  document.getElementById("day-title").textContent = `${range} at ${location.name} (times in ${tz}${closedNote})`;

  const template = `4rem repeat(${Math.max(days.length * cols.length, 1)}, minmax(${state.view === "day" ? "9rem" : "4.25rem"}, 1fr))`;
  const dayHead = h("div", { class: "grid-head days", style: `grid-template-columns:${template}` }, h("span", { class: "gutter-head" }, "Time"));
  const colHead = h("div", { class: "grid-head cols", style: `grid-template-columns:${template}` }, h("span", {}, ""));
  const gutter = h("div", { class: "gutter", style: `height:${height}px`, "aria-hidden": "true" });
  for (let m = first; m < last; m += 60) {
    gutter.append(h("span", { class: "hour", style: `top:${(m - first) * scale()}px` }, minutesLabel(m)));
  }
  const body = h("div", { class: "grid-body", style: `grid-template-columns:${template}`, dataset: { first, last } }, gutter);
  const labels = state.view === "week" ? shortNames(cols) : new Map();
  for (const date of days) {
    const closure = closureOf(date);
    dayHead.append(
      h("span", { class: `day-head${closure ? " closed" : ""}`, style: `grid-column:span ${Math.max(cols.length, 1)}`, dataset: { date } },
        dayLabel(date), closure ? h("small", {}, `Closed: ${closure.name}`) : null),
    );
    for (const col of cols) {
      colHead.append(h("span", { class: "col-head", title: col.name }, labels.get(col) ?? col.name));
      body.append(lane(date, col, first, last));
    }
    body.lastElementChild.classList.add("day-end");
  }
  body.append(nowLine(first, last));
  const cellsShown = body.querySelector(".cell");
  if (cellsShown) cellsShown.tabIndex = 0; // the grid is one tab stop; arrows move inside it
  const scrollTop = grid.scrollTop;
  const keep = grid.dataset.shown === `${state.view}/${state.location}/${days[0]}`;
  grid.classList.toggle("view-week", state.view === "week");
  grid.replaceChildren(dayHead, colHead, body);
  if (!cols.length) grid.append(h("p", { class: "empty" }, "No practitioners or rooms at this location."));
  if (!state.appointments.length) grid.append(h("p", { class: "empty" }, "No appointments in this range."));
  grid.dataset.shown = `${state.view}/${state.location}/${days[0]}`;
  grid.scrollTop = keep ? scrollTop : Math.max(0, (earliestMinute(days) ?? first) - first - 20) * scale();
}

// A week's lanes are narrow: a practitioner reads as initial and surname ("P. Shah", the title left out), the whole
// name on hover; where two would read the same, both keep their whole names.
function shortNames(cols) {
  const short = new Map(
    cols
      .filter((col) => col.key === "practitioner")
      .map((col) => {
        const words = col.name.replace(/^(dr|mr|mrs|ms|mx|miss|prof)\.?\s+/i, "").trim().split(/\s+/);
        return [col, words.length > 1 ? `${words[0][0]}. ${words[words.length - 1]}` : words[0]];
      }),
  );
  const seen = [...short.values()];
  for (const [col, label] of short) if (seen.indexOf(label) !== seen.lastIndexOf(label)) short.delete(col);
  return short;
}

// The first local minute anything starts on the days drawn: a new day opens there, never scrolled past it.
function earliestMinute(days) {
  const starts = state.appointments.filter((a) => days.includes(dateOf(a))).map((a) => localParts(a.start, zone()).minutes);
  return starts.length ? Math.min(...starts) : null;
}

function nowLine(first, last) {
  const now = localParts(Date.now(), zone());
  const line = h("div", { class: "now-line", "aria-hidden": "true", title: `Now ${localTime(Date.now(), zone())}` });
  line.hidden = !(shownDays().includes(now.date) && now.minutes >= first && now.minutes <= last) || state.view !== "day";
  line.style.top = `${(now.minutes - first) * scale()}px`;
  return line;
}

// Arrow keys move between the empty-time buttons: up/down in a lane, left/right to the same time in the next lane.
export function setupGridKeys(grid) {
  grid.addEventListener("keydown", (event) => {
    const cell = event.target.closest(".cell");
    if (!cell || !["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"].includes(event.key)) return;
    event.preventDefault();
    let target = null;
    if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      const list = [...cell.parentElement.querySelectorAll(".cell")];
      target = list[list.indexOf(cell) + (event.key === "ArrowDown" ? 1 : -1)];
    } else {
      const lanes = [...grid.querySelectorAll(".lane")];
      const next = lanes[lanes.indexOf(cell.parentElement) + (event.key === "ArrowRight" ? 1 : -1)];
      target = next?.querySelector(`.cell[data-minutes="${cell.dataset.minutes}"]`) || next?.querySelector(".cell");
    }
    if (!target) return;
    cell.tabIndex = -1;
    target.tabIndex = 0;
    target.focus();
  });
}
