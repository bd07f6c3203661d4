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
  set(navigator.onLine);
  window.addEventListener("online", () => set(true));
  window.addEventListener("offline", () => set(false));
  document.addEventListener("htmx:sendError", () => set(false));
  document.addEventListener("htmx:afterRequest", (event) => {
    const detail = /** @type {CustomEvent} */ (event).detail;
    if (detail && detail.xhr && detail.xhr.status > 0) set(true);
  });
}
