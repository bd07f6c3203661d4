// @ts-check
// An offline-capable form on a page that no service worker controls (a first visit, a worker
// not active yet, a browser that refused it): when its request fails or hangs, the page keeps
// the write itself, by the worker's rule (outbox.js keepForm), and says so, as the worker
// would. Without this the form stayed as it was, with no word, and the report was lost.
import { freshenForms } from "./form-ids.js";
import { keepForm } from "./outbox.js";

/** @param {Document} doc */
export function watchUncontrolledForms(doc) {
  // both from the server: the envelope's names (server/syncing/forms.py) and the time a
  // field worker waits before the form is kept instead (OFFLINE_FORM_TIMEOUT_MS)
  const meta = doc.querySelector('meta[name="gw-envelope"]');
  const envelope = new Set((meta?.getAttribute("content") || "").split(" ").filter(Boolean));
  const timeout = Number(meta?.getAttribute("data-timeout-ms")) || 8000;
  if (!envelope.size || !("indexedDB" in window)) return;

  // Without a worker to cut it short, a request on a dead network could hang for minutes.
  doc.addEventListener("htmx:configRequest", (event) => {
    const detail = /** @type {CustomEvent} */ (event).detail;
    if (uncontrolled() && offlineForm(detail.elt)) detail.timeout = timeout;
  });

  /** @param {Event} event */
  const keep = async (event) => {
    const detail = /** @type {CustomEvent} */ (event).detail;
    const form = offlineForm(detail.elt);
    if (!form || !uncontrolled()) return;
    if (event.type === "htmx:responseError" && detail.xhr.status < 500) return; // the server decided
    // htmx's own copy of what was sent: it holds the button pressed (收到, 同意 ...)
    const sent = detail.requestConfig?.formData;
    const data = sent instanceof FormData ? sent : new FormData(form);
    try {
      await keepForm(data, envelope);
    } catch (error) {
      console.warn("the form could not be kept on this phone", error);
      return; // htmx has put its error in #flash: the form and what was typed stay
    }
    showKept(doc);
    freshenForms(form); // a second submission is a write of its own
  };
  for (const name of ["htmx:sendError", "htmx:timeout", "htmx:responseError"]) {
    doc.addEventListener(name, keep);
  }
}

function uncontrolled() {
  return !("serviceWorker" in navigator) || !navigator.serviceWorker.controller;
}

/** @param {unknown} element @returns {HTMLFormElement | null} */
function offlineForm(element) {
  const form = element instanceof Element ? element.closest("form") : null;
  const offline = form?.querySelector('input[name="mutation_id"]') && form.querySelector('input[name="entity"]');
  return offline ? form : null;
}

/** What the worker answers with (the "saved offline" notice), in the page's own frame. @param {Document} doc */
function showKept(doc) {
  const template = doc.getElementById("kept-offline");
  const main = doc.getElementById("main");
  if (!(template instanceof HTMLTemplateElement) || !main) return;
  main.replaceChildren(template.content.cloneNode(true));
  doc.getElementById("flash")?.replaceChildren();
  window.scrollTo(0, 0);
}
