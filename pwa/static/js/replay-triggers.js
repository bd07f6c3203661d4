// @ts-check
// When the page replays the outbox: on load, when the network returns, when the phone is
// looked at again, and on a timer with backoff. Never one trigger alone: iOS has no
// Background Sync, and `online` is not fired on a Wi-Fi with no way out.
import { ensureDevice, onChange, replay } from "./outbox.js";
import { waiting } from "./photos.js";
import { keepWorkingSet } from "./refresh.js";

const BASE_DELAY_MS = 30_000;
const MAX_DELAY_MS = 10 * 60_000;
/** After `online`, quick tries while the network settles (a Wi-Fi that connects before its
 * way out does): one failed try must not leave a report to the backoff timer. */
const SETTLING_MS = [2_000, 5_000, 10_000, 20_000];

/** @param {Document} doc */
export async function startReplay(doc) {
  const meta = doc.querySelector('meta[name="gw-device"]');
  const deviceId = meta instanceof HTMLMetaElement ? meta.content : "";
  if (!deviceId || !("indexedDB" in window)) return;
  const recount = onChange((count) => showPending(doc, count));
  // a boosted navigation swaps in the server's header, whose badge is hidden: count again
  doc.addEventListener("htmx:afterSettle", () => {
    recount();
    // a boosted page may name pages to keep (an evacuation's households)
    if (navigator.onLine) keepWorkingSet(doc).catch(() => undefined);
  });
  await ensureDevice(deviceId);
  if (navigator.onLine) keepWorkingSet(doc).catch(() => undefined); // a later load tries again
  window.addEventListener("online", () => settle(0));
  // A form sent online names photos the page has not uploaded yet: send them now, not at the
  // next tick of the timer, and show them on the page once they are there.
  doc.addEventListener("htmx:afterRequest", (event) => {
    const detail = /** @type {CustomEvent} */ (event).detail;
    const sent = detail?.requestConfig?.formData;
    const named = sent instanceof FormData && [...sent.keys()].some((k) => k.startsWith("photos"));
    if (named && detail.xhr && detail.xhr.status > 0 && detail.xhr.status < 400) sendPhotos(doc);
  });
  doc.addEventListener("visibilitychange", () => {
    if (doc.visibilityState === "visible") replay();
  });
  let delay = BASE_DELAY_MS;
  const tick = async () => {
    const { offline } = await replay();
    delay = offline ? Math.min(delay * 2, MAX_DELAY_MS) : BASE_DELAY_MS;
    setTimeout(tick, delay);
  };
  tick();
}

/** Replay (the photos after the records), then put the uploaded photos on the page.
 * @param {Document} doc */
async function sendPhotos(doc) {
  const before = (await waiting()).length;
  await replay();
  if ((await waiting()).length < before) await showUploaded(doc).catch(() => undefined);
}

/**
 * Replace the page's "photo uploading" boxes with the photos now on the server: only the
 * thumbnails, read from a fresh copy of the page (a form on it keeps what is typed).
 * @param {Document} doc
 */
async function showUploaded(doc) {
  const mine = [...doc.querySelectorAll("main .thumbs")];
  if (!mine.some((box) => box.querySelector(".uploading"))) return;
  const fresh = await fetch(location.href, { credentials: "same-origin" });
  if (!fresh.ok) return;
  const theirs = [...new DOMParser().parseFromString(await fresh.text(), "text/html")
    .querySelectorAll("main .thumbs")];
  if (theirs.length !== mine.length) return;
  mine.forEach((box, i) => {
    if (box.querySelector(".uploading")) box.replaceWith(doc.importNode(theirs[i], true));
  });
}

/** Replay now, and again a little later while it finds no network. @param {number} step */
async function settle(step) {
  const { offline } = await replay();
  if (offline && step < SETTLING_MS.length && navigator.onLine) {
    setTimeout(() => settle(step + 1), SETTLING_MS[step]);
  }
}

/** @param {Document} doc @param {number} count */
function showPending(doc, count) {
  const badge = doc.getElementById("pending-sync");
  const number = badge?.querySelector("[data-pending-count]");
  if (!badge || !number) return;
  number.textContent = String(count);
  badge.hidden = count === 0;
}
