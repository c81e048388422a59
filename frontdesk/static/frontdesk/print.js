// The printable day list: one practitioner per page, times in the location's zone. Hidden on screen, shown by the
// print style sheet; it is drawn with the grid so printing needs no request.
import { badges, sessionLabel, statusLabel } from "./card.js";
import { byId, catalog, dateOf, state, therapyName, zone } from "./store.js";
import { h, localDateLabel, localTime } from "./ui.js";

export function renderPrintList(box) {
  const tz = zone();
  const date = state.date;
  const location = byId(catalog.locations, state.location);
  const day = state.appointments.filter((a) => dateOf(a) === date && a.status !== "cancelled");
  const practitioners = catalog.practitioners.filter((p) => p.active && p.locations.includes(state.location));
  box.replaceChildren(
    ...practitioners.map((p) => {
      const rows = day.filter((a) => a.practitioner === p.id);
      return h(
        "section",
        { class: "print-page", dataset: { practitioner: p.id } },
        h("h2", {}, `${p.display_name}: ${localDateLabel(date, tz)}`),
        h("p", {}, `${location.name}, times in ${tz}`),
        rows.length
          ? h("table", {},
              h("thead", {}, h("tr", {}, ["Time", "Patient", "Phone", "Therapy", "Room", "Status", "Notes"].map((t) => h("th", { scope: "col" }, t)))),
              h("tbody", {}, rows.map((a) => h("tr", {},
                h("td", {}, `${localTime(a.start, tz)}–${localTime(a.end, tz)}`),
                h("td", {}, a.patient_name),
                h("td", {}, a.patient_phone || "none"),
                h("td", {}, `${therapyName(a.therapy_type)}, ${sessionLabel(a)}`),
                h("td", {}, byId(catalog.rooms, a.room).name),
                h("td", {}, statusLabel(a)),
                h("td", {}, badges(a).map(([, text]) => text).join("; "))))))
          : h("p", { class: "empty" }, "No appointments."),
      );
    }),
  );
}
