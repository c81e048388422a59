// "Needs a person": appointments on hold or needing attention, flagged plans, failed reminders (with Retry),
// patients the clinic cannot email, and the waitlist. One request per list.
import { api } from "./api.js";
import { planActions } from "./plan-actions.js";
import { state, therapyName, zone } from "./store.js";
import { flash, h, localDateLabel, localTime } from "./ui.js";
import { loadWaitlist } from "./waitlist.js";

const $ = (id) => document.getElementById(id);
let hooks = null;

export function setupAttention(options) {
  hooks = options; // { open(appointment) }
  document.addEventListener("desk:waitlist-changed", () => fill($("waitlist"), () => loadWaitlist($("waitlist"))));
}

const record = (id) => h("a", { href: `/desk/patients/${id}/` }, "Record");
const when = (instant) => `${localDateLabel(instant, zone())} ${localTime(instant, zone())}`;

async function fill(list, load) {
  try {
    const items = await load();
    if (items) list.replaceChildren(...(items.length ? items : [h("li", { class: "empty" }, "Nothing here.")]));
  } catch (error) {
    list.replaceChildren(h("li", { class: "error" }, error.message));
  }
}

async function attentionAppointments() {
  const page = await api("appointments/", { params: { needs_attention: "true", location: state.location } });
  return page.results.map((a) => {
    const open = h("button", { type: "button", "aria-label": `Open ${a.patient_name} ${when(a.start)}` }, "Open");
    open.addEventListener("click", () => hooks.open(a));
    return h("li", { class: a.on_hold ? "on-hold" : "" },
      h("span", {}, h("strong", {}, a.patient_name), ` ${therapyName(a.therapy_type)} ${when(a.start)}`,
        a.on_hold ? h("span", { class: "badge badge-hold" }, "On hold") : null, h("small", {}, a.attention_reason)),
      h("span", { class: "item-actions" }, open, record(a.patient)));
  });
}

async function attentionPlans() {
  const page = await api("plans/", { params: { needs_attention: "true" } });
  return page.results.map((plan) =>
    h("li", { class: "stacked", dataset: { plan: plan.id } },
      h("span", {}, h("strong", {}, plan.patient_name), ` ${therapyName(plan.therapy_type)} plan: ${plan.attention_reason}`),
      h("span", { class: "item-actions" }, record(plan.patient)),
      planActions(plan, () => loadAttention())),
  );
}

// Online booking requests: those a person must act on (a call-back, a possible duplicate) with "Done", and the
// pending ones whose slot is held while the patient confirms by email.
async function onlineRequests() {
  const [attention, pending] = await Promise.all([
    api("online-requests/", { params: { needs_attention: "true" } }),
    api("online-requests/", { params: { status: "pending", location: state.location } }),
  ]);
  const items = attention.results.map((r) => {
    const done = h("button", { type: "button", "aria-label": `Done: ${r.first_name} ${r.last_name}` }, "Done");
    done.addEventListener("click", async () => {
      try {
        await api(`online-requests/${r.id}/resolve/`, { method: "POST", body: {} });
      } catch (error) {
        flash(error.message, "error");
      }
      await loadAttention();
    });
    return h("li", { class: "stacked" },
      h("span", {}, h("strong", {}, `${r.first_name} ${r.last_name}`), ` ${r.therapy_type_name} ${when(r.start)} ${r.phone}`,
        h("small", {}, r.attention_reason)),
      h("span", { class: "item-actions" }, done, r.patient ? record(r.patient) : null));
  });
  const now = Date.now();
  for (const r of pending.results.filter((r) => Date.parse(r.expires_at) > now)) {
    items.push(h("li", { class: "pending-online" },
      h("span", {}, h("strong", {}, "Pending online request"), ` ${r.therapy_type_name} ${when(r.start)}`,
        h("small", {}, `held until ${localTime(r.expires_at, zone())}`))));
  }
  return items;
}

async function failedReminders() {
  const page = await api("reminders/", { params: { status: "failed" } });
  return page.results.map((r) => {
    const retry = h("button", { type: "button", "aria-label": `Retry ${r.kind.replaceAll("_", " ")} for ${r.patient_name}` }, "Retry");
    retry.addEventListener("click", async () => {
      try {
        await api(`reminders/${r.id}/retry/`, { method: "POST", body: {} });
        flash(`The ${r.kind.replaceAll("_", " ")} for ${r.patient_name} will be sent again.`, "success");
      } catch (error) {
        flash(error.message, "error");
      }
      await loadAttention();
    });
    return h("li", {},
      h("span", {}, h("strong", {}, r.patient_name), ` ${r.kind.replaceAll("_", " ")} for ${when(r.appointment_start)}`, h("small", {}, r.last_error)),
      h("span", { class: "item-actions" }, retry, record(r.patient)));
  });
}

async function noEmailPatients() {
  const page = await api("patients/", { params: { has_email: "false" } });
  return page.results.map((p) =>
    h("li", {}, h("span", {}, h("strong", {}, `${p.first_name} ${p.last_name}`), h("small", {}, p.phone || "no phone")), record(p.id)));
}

export function loadAttention() {
  return Promise.all([
    fill($("attention-appointments"), attentionAppointments),
    fill($("attention-plans"), attentionPlans),
    fill($("online-requests"), onlineRequests),
    fill($("failed-reminders"), failedReminders),
    fill($("no-email-patients"), noEmailPatients),
    fill($("waitlist"), () => loadWaitlist($("waitlist"))),
  ]);
}
