// @ts-check
// Live updates: what is sent to the person appears on whatever page they have open (SSE).
// Closed while offline (nothing could arrive), opened again when the network returns.

/** @param {Document} doc */
export function watchLive(doc) {
  if (!doc.querySelector('meta[name="gw-device"]') || typeof EventSource === "undefined") return;
  const template = doc.getElementById("live-notice");
  const flash = doc.getElementById("flash");
  if (!(template instanceof HTMLTemplateElement) || !flash) return;
  /** @type {EventSource | null} */
  let source = null;
  const open = () => {
    if (source || !navigator.onLine) return;
    source = new EventSource("/notify/live");
    source.addEventListener("notice", (event) => show(template, flash, event.data));
  };
  const close = () => { source?.close(); source = null; };
  window.addEventListener("offline", close);
  window.addEventListener("online", open);
  window.addEventListener("pagehide", close);
  open();
}

/** @param {HTMLTemplateElement} template @param {HTMLElement} flash @param {string} data */
function show(template, flash, data) {
  let notice;
  try {
    notice = JSON.parse(data);
  } catch {
    return;
  }
  const node = /** @type {DocumentFragment} */ (template.content.cloneNode(true));
  const link = node.querySelector("a");
  if (link) link.href = notice.url || "/";
  const title = node.querySelector("[data-title]");
  if (title) title.textContent = notice.title || "";
  const body = node.querySelector("[data-body]");
  if (body) body.textContent = notice.body || "";
  flash.replaceChildren(node);
}
