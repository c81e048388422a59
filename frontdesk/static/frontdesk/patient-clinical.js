// The clinical half of the patient page: conditions, screening per therapy, opening a plan.
import { ApiError, api, config, listAll } from "./api.js";
import { byId, catalog, clinical, patientId } from "./patient-store.js";
import { clearFieldErrors, contraindicationMessage, findingsList, flash, h, showFieldErrors, showMessage } from "./ui.js";

const $ = (id) => document.getElementById(id);
let changed = null;

async function loadConditions() {
  const rows = await listAll(`patients/${patientId}/conditions/`);
  $("conditions").replaceChildren(
    ...(rows.length
      ? rows.map((pc) => {
          const condition = byId(catalog.conditions, pc.condition);
          return h(
            "tr",
            {},
            h("td", {}, pc.condition_name || condition?.name || `condition ${pc.condition}`),
            h("td", {}, pc.since || ""),
            h("td", {}, pc.until || ""),
            h("td", {}, pc.note || ""),
            h(
              "td",
              {},
              pc.active ? "active " : "inactive ",
              pc.source === "patient" && !pc.verified ? h("span", { class: "badge badge-attention" }, "Declared by the patient, not verified") : null,
              clinical
                ? h("button", { type: "button", onclick: () => toggleCondition(pc) }, pc.active ? "Mark inactive" : "Mark active")
                : null,
              clinical && pc.source === "patient" && !pc.verified
                ? h("button", { type: "button", onclick: () => verifyCondition(pc) }, `Verify ${pc.condition_name || "condition"}`)
                : null,
            ),
          );
        })
      : [h("tr", {}, h("td", { colspan: 5, class: "empty" }, "Nothing recorded."))]),
  );
}

async function toggleCondition(pc) {
  try {
    await api(`patients/${patientId}/conditions/${pc.id}/`, { method: "PATCH", body: { active: !pc.active } });
    flash("Condition updated; active plans were screened again.", "success");
    await changed();
  } catch (error) {
    flash(error.message, "error");
  }
}

// A condition the patient declared (questionnaire, online booking) counts once a practitioner confirms it.
async function verifyCondition(pc) {
  try {
    await api(`patients/${patientId}/conditions/${pc.id}/verify/`, { method: "POST", body: { verified: true } });
    flash(`${pc.condition_name || "Condition"} verified; active plans were screened again.`, "success");
    await changed();
  } catch (error) {
    flash(error.message, "error");
  }
}

function setupConditionForm() {
  const form = $("condition-form");
  const kinds = new Map();
  for (const c of catalog.conditions) {
    if (!kinds.has(c.kind)) kinds.set(c.kind, h("optgroup", { label: c.kind }));
    kinds.get(c.kind).append(h("option", { value: c.id }, c.name));
  }
  $("cond-condition").replaceChildren(h("option", { value: "" }, "Choose…"), ...kinds.values());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const data = Object.fromEntries(new FormData(form));
    if (!data.since) delete data.since;
    if (!data.until) delete data.until;
    try {
      await api(`patients/${patientId}/conditions/`, { method: "POST", body: { ...data, condition: Number(data.condition) || null, active: true } });
      form.reset();
      flash("Condition recorded; active plans were screened again.", "success");
      await changed();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showFieldErrors(form, error, "cond-");
    }
  });
}

// --- screening --------------------------------------------------------------------------------------------

async function loadScreenings() {
  const rows = await Promise.all(
    catalog.therapyTypes.map(async (therapy) => {
      try {
        const result = await api("screenings/", { method: "POST", body: { patient: patientId, therapy_type: therapy.id } });
        return h(
          "tr",
          { dataset: { therapy: therapy.code } },
          h("th", { scope: "row" }, therapy.name),
          h(
            "td",
            {},
            result.eligible
              ? h("span", { class: result.warnings.length ? "warning" : "eligible" },
                  result.warnings.length ? "Only in a plan with a practitioner's recorded reason" : "Eligible")
              : h("span", { class: "not-eligible" }, "Not eligible"),
            result.blocking.length ? findingsList(result.blocking) : null,
            result.warnings.length ? h("div", { class: "warning" }, "Relative findings:", findingsList(result.warnings)) : null,
          ),
        );
      } catch (error) {
        return h("tr", {}, h("th", { scope: "row" }, therapy.name), h("td", { class: "error" }, error.message));
      }
    }),
  );
  $("screenings").replaceChildren(...rows);
}


// --- open a plan ---------------------------------------------------------------------------------------------

function setupPlanForm() {
  const form = $("plan-form");
  const therapy = $("plan-therapy_type");
  therapy.replaceChildren(...catalog.therapyTypes.map((t) => h("option", { value: t.id }, t.name)));
  $("plan-indication").replaceChildren(...Object.entries(config.indications).map(([v, l]) => h("option", { value: v }, l)));
  const fillProducts = () => {
    const products = catalog.products.filter((p) => p.therapy_type === Number(therapy.value));
    $("plan-product").replaceChildren(h("option", { value: "" }, "None"), ...products.map((p) => h("option", { value: p.id }, `${p.name} (${p.source})`)));
    $("plan-sessions_planned").placeholder = byId(catalog.therapyTypes, Number(therapy.value))?.default_sessions ?? "";
  };
  therapy.addEventListener("change", fillProducts);
  fillProducts();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    showMessage($("plan-findings"), "");
    const data = Object.fromEntries(new FormData(form));
    const body = { patient: patientId, therapy_type: Number(data.therapy_type), indication: data.indication, override_reason: data.override_reason };
    if (data.product) body.product = Number(data.product);
    if (data.sessions_planned) body.sessions_planned = Number(data.sessions_planned);
    if (data.start_date) body.start_date = data.start_date;
    try {
      await api("plans/", { method: "POST", body });
      form.reset();
      fillProducts();
      flash("Plan opened.", "success");
      await changed();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.code === "contraindicated") {
        const blocking = error.body.blocking || [];
        const onlyRelative = blocking.every((f) => f.severity === "relative");
        const hint = onlyRelative ? " A relative finding applies: record an override reason to open the plan anyway." : "";
        showMessage($("plan-findings"), contraindicationMessage(error) + hint, "error", findingsList([...blocking, ...(error.body.warnings || [])]));
        if (onlyRelative) $("plan-override_reason").focus();
      } else {
        showFieldErrors(form, error, "plan-");
      }
    }
  });
}


export function setupClinical(onChange) {
  changed = onChange;
  setupConditionForm();
  setupPlanForm();
}

export { loadConditions, loadScreenings };
