// Finding a patient (name with or without accents, phone as dialled, date of birth) and registering one, with
// the API's duplicate warning answered by a deliberate "Register anyway".
import { ApiError, api, newIdempotencyKey } from "./api.js";
import { clearFieldErrors, flash, h, showFieldErrors } from "./ui.js";

const $ = (id) => document.getElementById(id);
const name = (p) => `${p.first_name} ${p.last_name}`;

function patientItem(patient, actions) {
  const contact = [patient.date_of_birth, patient.email || "no email", patient.phone].filter(Boolean).join(" · ");
  return h("li", { class: "patient-item" }, h("span", {}, h("strong", {}, name(patient)), h("small", {}, contact)),
    h("span", { class: "item-actions" }, ...actions(patient)));
}

// Search as one types; only the newest answer is shown.
function searchBox(input, list, actions) {
  let seq = 0;
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++seq;
      const query = input.value.trim();
      if (query.length < 2) {
        list.replaceChildren();
        return;
      }
      const page = await api("patients/", { params: { search: query } });
      if (mine !== seq) return;
      list.replaceChildren(...(page.results.length ? page.results.map((p) => patientItem(p, actions)) : [h("li", { class: "empty" }, "No patient found.")]));
    }, 200);
  });
}

export function setupPatients({ book }) {
  const actions = (p) => [
    h("button", { type: "button", onclick: () => book(p), "aria-label": `Book for ${name(p)}` }, "Book"),
    h("a", { href: `/desk/patients/${p.id}/`, "aria-label": `Record of ${name(p)}` }, "Record"),
  ];
  searchBox($("patient-search"), $("patient-results"), actions);
  setupRegistration(book, actions);
}

// The booking panel's own patient field, used when booking starts from the grid.
export function pickPatient(box, onPick) {
  const input = h("input", { type: "search", id: "booking-patient-search", autocomplete: "off" });
  const list = h("ul", { class: "results", "aria-live": "polite" });
  box.replaceChildren(h("div", { class: "field" }, h("label", { for: input.id }, "Find the patient"), input), list);
  searchBox(input, list, (p) => [h("button", { type: "button", onclick: () => onPick(p), "aria-label": `Choose ${name(p)}` }, "Choose")]);
  input.focus();
}

function setupRegistration(book, actions) {
  const form = $("register-form");
  const register = async (allowDuplicate) => {
    clearFieldErrors(form);
    $("duplicates").replaceChildren();
    const data = Object.fromEntries(new FormData(form));
    const body = { ...data, phone: data.phone.trim(), email_reminders: $("reg-email_reminders").checked };
    if (allowDuplicate) body.allow_duplicate = true;
    try {
      const patient = await api("patients/", { method: "POST", body, headers: { "Idempotency-Key": newIdempotencyKey() } });
      form.reset();
      flash(`${name(patient)} registered.`, "success");
      book(patient);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.code === "possible_duplicate") showDuplicates(error, actions, () => register(true));
      else showFieldErrors(form, error, "reg-");
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    register(false);
  });
}

function showDuplicates(error, actions, registerAnyway) {
  const anyway = h("button", { type: "button", class: "danger" }, "Register anyway");
  anyway.addEventListener("click", registerAnyway);
  const heading = h("p", { class: "warning", role: "alert", tabindex: "-1" }, error.message);
  $("duplicates").replaceChildren(
    heading,
    h("ul", { class: "results", "aria-label": "Possible duplicates" }, error.body.matches.map((p) => patientItem(p, actions))),
    anyway,
  );
  heading.focus();
}
