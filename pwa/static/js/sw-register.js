// @ts-check
// Owns the service worker registration and says on the page whether offline use is ready.

/** @type {"" | "ready" | "failed" | "unsupported"} */
let state = "";

/**
 * Write the state into the page's label (its texts come translated in data-* attributes).
 * Called again after every htmx swap, which brings a fresh label.
 * @param {Document} doc
 */
function showState(doc) {
  const label = doc.querySelector("[data-sw-state]");
  if (state && label instanceof HTMLElement) label.textContent = label.dataset[state] || label.textContent;
}

/** @param {Document} doc */
export async function registerServiceWorker(doc) {
  doc.addEventListener("htmx:afterSettle", () => showState(doc));
  if (!("serviceWorker" in navigator)) {
    state = "unsupported";
    showState(doc);
    return;
  }
  try {
    // A module worker: plain ES modules, no bundler (Chromium 91+, Safari 15+).
    await navigator.serviceWorker.register("/sw.js", { scope: "/", type: "module" });
    const registration = await navigator.serviceWorker.ready;
    if (!servedByWorker() && registration.active) {
      // This page came from the network without the worker (a first visit): keep it too.
      registration.active.postMessage({ type: "cache-page", url: location.href });
    }
    state = "ready";
  } catch (error) {
    console.warn("service worker registration failed", error);
    state = "failed";
  }
  showState(doc);
}

/** Whether a service worker took part in loading this page (navigation timing says so). */
function servedByWorker() {
  const [entry] = /** @type {PerformanceNavigationTiming[]} */ (
    performance.getEntriesByType("navigation")
  );
  return Boolean(entry && entry.workerStart > 0);
}

/**
 * After logout the login page carries `data-clear-pages`: the pages kept for offline use
 * belonged to the person who left, so the service worker drops them (never the outbox).
 * @param {Document} doc
 */
export async function forgetPagesOnLogout(doc) {
  if (!doc.querySelector("[data-clear-pages]") || !("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.ready;
  registration.active?.postMessage({ type: "clear-pages" });
}
