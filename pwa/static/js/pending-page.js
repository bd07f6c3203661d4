// @ts-check
// Fills the "waiting to sync" page from the phone's outbox (the row markup comes from the
// server's <template>, so no HTML is written here).
import { entries, onChange, summaryOf } from "./outbox.js";
import { waiting } from "./photos.js";

/** @param {Document} doc */
export async function renderPending(doc) {
  const kept = await waiting(); // read once for the whole list, not once per entry
  const photos = showPhotos(doc, kept);
  const list = doc.getElementById("pending-list");
  const row = doc.getElementById("pending-row");
  if (!(list instanceof HTMLElement) || !(row instanceof HTMLTemplateElement)) return;
  const items = await entries();
  const labels = new Map(
    [...(doc.getElementById("pending-labels")?.content?.querySelectorAll("[data-key]") || [])]
      .map((el) => [el.getAttribute("data-key") || "", el.textContent || ""]),
  );
  thumbnailUrls.forEach((url) => URL.revokeObjectURL(url));
  thumbnailUrls = [];
  list.replaceChildren();
  list.hidden = items.length === 0 && photos > 0; // "nothing is waiting" would contradict the photos
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
    const { entity, op } = item.mutation;
    set("entity", labels.get(`${entity}.${op}`) || labels.get(entity) || entity || "?");
    set("summary", summaryOf(item.mutation.fields || {}));
    set("state", list.dataset[item.state] || item.state);
    set("when", new Date(item.queued_at).toLocaleString());
    set("error", item.last_error);
    addThumbnails(node.querySelector(`[data-field="thumbs"]`), item.mutation.fields || {}, kept);
    const li = node.querySelector("li");
    if (li) li.dataset.state = item.state;
    list.append(node);
  }
}

/** Object URLs made for the last rendering, released before the next. @type {string[]} */
let thumbnailUrls = [];

/**
 * The photos a queued record names, from the phone's own store (they may not be uploaded yet).
 * @param {Element | null} box @param {Record<string, unknown>} fields
 * @param {Array<{sha256: string, blob: Blob}>} waitingPhotos the photos still on the phone
 */
function addThumbnails(box, fields, waitingPhotos) {
  const photos = Object.entries(fields)
    .filter(([name, list]) => name.startsWith("photos") && Array.isArray(list))
    .flatMap(([, list]) => /** @type {Array<{sha256: string}>} */ (list));
  if (!box || photos.length === 0) return;
  const kept = new Map(waitingPhotos.map((p) => [p.sha256, p.blob]));
  for (const photo of photos) {
    const blob = kept.get(photo.sha256);
    if (!blob) continue; // already on the server
    const url = URL.createObjectURL(blob);
    thumbnailUrls.push(url);
    const img = new Image(64, 64);
    img.src = url;
    img.alt = "";
    img.className = "thumb";
    box.append(img);
  }
}

/** How many photos (and how many bytes) are still to upload.
 * @param {Document} doc @param {Array<{blob: Blob}>} photos @returns {number} how many */
function showPhotos(doc, photos) {
  const line = doc.getElementById("photos-waiting");
  if (!line) return photos.length;
  const bytes = photos.reduce((sum, p) => sum + (p.blob?.size || 0), 0);
  const count = line.querySelector("[data-photo-count]");
  const size = line.querySelector("[data-photo-size]");
  if (count) count.textContent = String(photos.length);
  if (size) size.textContent = bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
  line.hidden = photos.length === 0;
  return photos.length;
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
