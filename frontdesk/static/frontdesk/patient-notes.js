// The patient's own words from the pre-visit questionnaire (clinical roles): read them, mark them read.
import { api, listAll } from "./api.js";
import { patientId } from "./patient-store.js";
import { flash, h } from "./ui.js";

const $ = (id) => document.getElementById(id);

async function markRead(note, onChange) {
  try {
    await api(`appointments/${note.appointment}/questionnaire-read/`, { method: "POST" });
    flash("Marked read: the appointment has left the attention list.", "success");
    await onChange();
  } catch (error) {
    flash(error.message, "error");
  }
}

function noteRow(note, onChange) {
  const state = note.read_at
    ? `Read ${new Date(note.read_at).toLocaleString("en-GB")}`
    : note.appointment
      ? h("button", { type: "button", onclick: () => markRead(note, onChange) }, "Mark read")
      : "Unread";
  return h(
    "tr",
    { dataset: { note: note.id } },
    h("td", {}, new Date(note.created_at).toLocaleDateString("en-GB")),
    h("td", {}, note.text),
    h("td", {}, state),
  );
}

export async function loadNotes(onChange) {
  const notes = await listAll(`patients/${patientId}/notes/`);
  $("notes").replaceChildren(
    ...(notes.length
      ? notes.map((note) => noteRow(note, onChange))
      : [h("tr", {}, h("td", { colspan: 3, class: "empty" }, "Nothing written."))]),
  );
}
