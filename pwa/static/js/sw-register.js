// @ts-check
// Owns the service worker registration and says on the page whether offline use is ready.

/** @param {Document} doc */
export async function registerServiceWorker(doc) {
  const label = doc.querySelector("[data-sw-state]");
  const say = (/** @type {string} */ key) => {
    if (label instanceof HTMLElement) label.textContent = label.dataset[key] || label.textContent;
  };
  if (!("serviceWorker" in navigator)) {
    say("unsupported");
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
    say("ready");
  } catch (error) {
    console.warn("service worker registration failed", error);
    say("failed");
  }
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
