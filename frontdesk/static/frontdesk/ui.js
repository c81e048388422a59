// Small DOM and time helpers shared by the desk and the patient page.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function flash(text, kind = "info") {
  const box = document.getElementById("flash");
  box.replaceChildren(h("p", { class: `flash-${kind}` }, text));
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => box.replaceChildren(), 8000);
}

export function showMessage(box, text, kind = "error", extra = null) {
  box.replaceChildren();
  if (!text) return;
  box.append(h("p", { class: kind }, text));
  if (extra) box.append(extra);
}

// "Anticoagulant therapy (absolute)"; the front desk may only be told the name, clinicians get the detail.
export function findingLabel(f) {
  const name = f.condition_name || f.condition_code || "a recorded condition";
  return f.severity ? `${name} (${f.severity})` : name;
}

// Findings of a screening or a 409 contraindicated, with the rule's rationale when the API gives it.
export function findingsList(findings) {
  return h(
    "ul",
    { class: "findings" },
    findings.map((f) => h("li", {}, h("strong", {}, findingLabel(f)), f.rationale ? `: ${f.rationale}` : "")),
  );
}

export function contraindicationMessage(error) {
  const findings = [...(error.body.blocking || []), ...(error.body.warnings || [])];
  return `Not eligible: ${findings.map(findingLabel).join(", ") || error.message}`;
}

// Field errors of a 400 next to the inputs named `${prefix}${field}`; the rest at the top of the form.
export function showFieldErrors(form, error, prefix) {
  clearFieldErrors(form);
  const general = [];
  for (const [field, messages] of Object.entries(error.errors || {})) {
    const input = form.querySelector(`#${prefix}${field}`);
    const text = [].concat(messages).join(" ");
    if (!input) {
      general.push(`${field}: ${text}`);
      continue;
    }
    const id = `${prefix}${field}-error`;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
    input.closest(".field").append(h("p", { class: "error field-error", id }, text));
  }
  const top = form.querySelector(".form-error");
  if (top) {
    top.textContent = general.length ? general.join(" ") : error.message;
    top.hidden = false;
  }
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
}

export function clearFieldErrors(form) {
  form.querySelectorAll(".field-error").forEach((el) => el.remove());
  form.querySelectorAll('[aria-invalid="true"]').forEach((el) => {
    el.removeAttribute("aria-invalid");
    el.removeAttribute("aria-describedby");
  });
  const top = form.querySelector(".form-error");
  if (top) top.hidden = true;
}

// --- time in a location's zone ---------------------------------------------------------------------------

const partsCache = new Map();
function formatter(zone) {
  if (!partsCache.has(zone)) {
    partsCache.set(
      zone,
      new Intl.DateTimeFormat("en-GB", {
        timeZone: zone,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      }),
    );
  }
  return partsCache.get(zone);
}

// {date: "YYYY-MM-DD", minutes: minutes since local midnight} of an instant in a zone.
export function localParts(instant, zone) {
  const parts = Object.fromEntries(formatter(zone).formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

export function localTime(instant, zone) {
  return new Date(instant).toLocaleTimeString("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit" });
}

export function localDateLabel(dateOrInstant, zone) {
  const d = typeof dateOrInstant === "string" && dateOrInstant.length === 10 ? new Date(`${dateOrInstant}T12:00:00Z`) : new Date(dateOrInstant);
  return d.toLocaleDateString("en-GB", {
    timeZone: typeof dateOrInstant === "string" && dateOrInstant.length === 10 ? "UTC" : zone,
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
  });
}

export function addDays(isoDate, days) {
  const d = new Date(`${isoDate}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function todayIn(zone) {
  return localParts(Date.now(), zone).date;
}

// The UTC instant of local midnight of a date in a zone (searching around the offset handles DST days).
export function zoneMidnight(isoDate, zone) {
  let guess = Date.parse(`${isoDate}T00:00:00Z`);
  for (let i = 0; i < 3; i++) {
    const p = localParts(guess, zone);
    const shownAsUtc = Date.parse(`${p.date}T00:00:00Z`) + p.minutes * 60000;
    guess -= shownAsUtc - Date.parse(`${isoDate}T00:00:00Z`);
  }
  return new Date(guess);
}

export function minutesLabel(minutes) {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}
