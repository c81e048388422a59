// Drag a booked card to another time or practitioner. The drop only asks; the server decides, and the grid is
// drawn again from the server's answer either way (so a refused card goes back where it was).
import { STEP, instantOf, scale } from "./grid.js";

const THRESHOLD = 6;

export function setupDrag(grid, { onDrop }) {
  let drag = null;

  grid.addEventListener("pointerdown", (event) => {
    const card = event.target.closest(".card.movable");
    if (!card || event.button !== 0) return;
    const rect = card.getBoundingClientRect();
    drag = { card, x: event.clientX, y: event.clientY, grabY: event.clientY - rect.top, moved: false };
  });

  grid.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < THRESHOLD) return;
    if (!drag.moved) {
      drag.moved = true;
      drag.card.classList.add("dragging");
      grid.classList.add("drag-active");
    }
    drag.card.style.transform = `translate(${dx}px, ${dy}px)`;
    const target = laneAt(event.clientX, event.clientY);
    grid.querySelectorAll(".lane.drop-target").forEach((l) => l !== target && l.classList.remove("drop-target"));
    target?.classList.add("drop-target");
  });

  const finish = (event) => {
    if (!drag) return;
    const { card, moved, grabY } = drag;
    drag = null;
    grid.classList.remove("drag-active");
    grid.querySelectorAll(".lane.drop-target").forEach((l) => l.classList.remove("drop-target"));
    if (!moved) return;
    // The click that follows a drag is not a request to open the card.
    grid.addEventListener("click", (e) => e.stopPropagation(), { capture: true, once: true });
    const lane = event.type === "pointerup" ? laneAt(event.clientX, event.clientY) : null;
    if (!lane) {
      card.classList.remove("dragging");
      card.style.transform = "";
      return;
    }
    const first = Number(lane.parentElement.dataset.first);
    const top = event.clientY - grabY - lane.getBoundingClientRect().top;
    const minutes = first + Math.round(top / scale() / STEP) * STEP;
    card.classList.add("saving");
    onDrop({
      id: Number(card.dataset.appointment),
      start: instantOf(lane.dataset.date, minutes).toISOString(),
      lane,
    });
  };
  grid.addEventListener("pointerup", finish);
  grid.addEventListener("pointercancel", finish);
}

function laneAt(x, y) {
  return document.elementsFromPoint(x, y).find((el) => el.classList.contains("lane")) || null;
}
