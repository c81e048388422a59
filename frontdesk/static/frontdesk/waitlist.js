// The waitlist: add a patient from the booking panel when no slot suits, and the panel of who is waiting.
import { ApiError, api, newIdempotencyKey } from "./api.js";
import { byId, catalog, state, therapyName, today } from "./store.js";
import { addDays, clearFieldErrors, flash, h, showFieldErrors } from "./ui.js";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function field(id, label, control) {
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

export function showWaitlistOffer(box, { patient, therapyType, location }) {
  const practitioners = catalog.practitioners.filter((p) => p.active && p.locations.includes(location));
  const form = h(
    "form",
    { id: "waitlist-form", novalidate: true, "aria-label": "Add to the waitlist" },
    h("p", { class: "error form-error", role: "alert", hidden: true }),
    h("div", { class: "row" },
      field("wl-earliest", "Earliest", h("input", { type: "date", name: "earliest", value: today() })),
      field("wl-latest", "Latest", h("input", { type: "date", name: "latest", value: addDays(today(), 28) }))),
    field("wl-practitioner", "Practitioner", h("select", { name: "practitioner" }, h("option", { value: "" }, "Any practitioner"),
      practitioners.map((p) => h("option", { value: p.id }, p.display_name)))),
    h("fieldset", { class: "weekdays" }, h("legend", {}, "Days that suit (none ticked: any day)"),
      WEEKDAYS.map((d, i) => h("label", {}, h("input", { type: "checkbox", name: "weekdays", value: i }), ` ${d}`))),
    h("button", { type: "submit" }, "Add to the waitlist"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const data = new FormData(form);
    const body = {
      patient: patient.id,
      therapy_type: therapyType,
      location,
      practitioner: data.get("practitioner") ? Number(data.get("practitioner")) : null,
      earliest: data.get("earliest"),
      latest: data.get("latest"),
      weekdays: data.getAll("weekdays").map(Number),
    };
    try {
      await api("waitlist/", { method: "POST", body, headers: { "Idempotency-Key": newIdempotencyKey() } });
      flash(`${patient.first_name} ${patient.last_name} is on the waitlist for ${therapyName(therapyType)}.`, "success");
      box.replaceChildren();
      document.dispatchEvent(new CustomEvent("desk:waitlist-changed"));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showFieldErrors(form, error, "wl-");
    }
  });
  box.replaceChildren(h("details", {}, h("summary", {}, "No slot suits? Add to the waitlist"), form));
}

function entryItem(entry) {
  const who = entry.practitioner ? byId(catalog.practitioners, entry.practitioner).display_name : "any practitioner";
  const days = entry.weekdays.length ? entry.weekdays.map((d) => WEEKDAYS[d]).join(", ") : "any day";
  const remove = h("button", { type: "button", "aria-label": `Remove ${entry.patient_name} from the waitlist` }, "Remove");
  remove.addEventListener("click", async () => {
    await api(`waitlist/${entry.id}/`, { method: "DELETE" });
    flash(`${entry.patient_name} removed from the waitlist.`, "success");
    document.dispatchEvent(new CustomEvent("desk:waitlist-changed"));
  });
  return h(
    "li",
    { dataset: { entry: entry.id } },
    h("span", {}, h("strong", {}, entry.patient_name), ` ${therapyName(entry.therapy_type)}, ${entry.earliest} to ${entry.latest}`,
      h("small", {}, `${who}; ${days}; ${entry.status}`)),
    ["waiting", "offered"].includes(entry.status) ? remove : null,
  );
}

export async function loadWaitlist(list) {
  const page = await api("waitlist/", { params: { location: state.location } });
  const rows = page.results.filter((e) => ["waiting", "offered"].includes(e.status));
  list.replaceChildren(...(rows.length ? rows.map(entryItem) : [h("li", { class: "empty" }, "Nobody is waiting.")]));
}
