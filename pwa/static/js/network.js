// @ts-check
// Owns the online/offline state shown on every page (the `data-online` attribute on <html>).

/**
 * Keep `root.dataset.online` in step with the browser's view of the network. The page also
 * marks itself offline when a request fails, because `navigator.onLine` stays true on a
 * connected Wi-Fi with no way out, which is common in the field.
 * @param {HTMLElement} root
 */
export function watchNetwork(root) {
  const set = (/** @type {boolean} */ online) => {
    root.dataset.online = String(online);
  };
  // a page the service worker answered from the phone's copy (sw/navigation.js fromPhone)
  set(navigator.onLine && !root.hasAttribute("data-from-phone"));
  window.addEventListener("online", () => set(true));
  window.addEventListener("offline", () => set(false));
  document.addEventListener("htmx:sendError", () => set(false));
  document.addEventListener("htmx:afterRequest", (event) => {
    const detail = /** @type {CustomEvent} */ (event).detail;
    if (!detail || !detail.xhr || detail.xhr.status === 0) return;
    // an answer made on the phone (a kept form, a page from its copy) is no sign of a network
    set(!detail.xhr.getResponseHeader("X-Gridwatch-From-Phone"));
  });
}
