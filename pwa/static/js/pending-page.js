// @ts-check
// Fills the "waiting to sync" page from the phone's outbox (the row markup comes from the
// server's <template>, so no HTML is written here).
import { entries, onChange } from "./outbox.js";

/** @param {Document} doc */
export async function renderPending(doc) {
  const list = doc.getElementById("pending-list");
  const row = doc.getElementById("pending-row");
  if (!(list instanceof HTMLElement) || !(row instanceof HTMLTemplateElement)) return;
  const items = await entries();
  list.replaceChildren();
  if (items.length === 0) {
    const empty = doc.createElement("li");
    empty.className = "muted";
    empty.textContent = list.dataset.empty || "";
    list.append(empty);
    return;
  }
  for (const item of items) {
    const node = /** @type {DocumentFragment} */ (row.content.cloneNode(true));
    const set = (/** @type {string} */ name, /** @type {string} */ text) => {
      const el = node.querySelector(`[data-field="${name}"]`);
      if (el) el.textContent = text;
    };
    set("entity", item.mutation.entity);
    set("state", list.dataset[item.state] || item.state);
    set("when", new Date(item.queued_at).toLocaleString());
    set("error", item.last_error);
    const li = node.querySelector("li");
    if (li) li.dataset.state = item.state;
    list.append(node);
  }
}

const LOW_STORAGE_BYTES = 50 * 1024 * 1024;

/** Say so when the browser's storage for this site is nearly full. @param {Document} doc */
async function showStorage(doc) {
  const warning = doc.getElementById("low-storage");
  if (!warning || !navigator.storage?.estimate) return;
  const { usage = 0, quota = Infinity } = await navigator.storage.estimate();
  warning.hidden = !(quota - usage < LOW_STORAGE_BYTES || usage / quota > 0.9);
}

/** Keep the page's list current: on load, after htmx swaps, whenever the outbox changes.
 * @param {Document} doc */
export function watchPending(doc) {
  const show = () => Promise.all([renderPending(doc), showStorage(doc)]);
  onChange(show);
  doc.addEventListener("htmx:afterSettle", show);
}
