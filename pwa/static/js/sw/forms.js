// @ts-check
/// <reference lib="webworker" />
// Form POSTs: an offline-capable form (it carries mutation_id and entity, or it is a public
// tip-off) that cannot reach the server in time is kept on the phone and answered with the
// precached "saved offline" page; any other POST goes to the network untouched.
import { keepForm } from "../outbox.js";
import { keepTipoff } from "../tipoff-queue.js";
import { FROM_PHONE } from "./navigation.js";

/**
 * @param {Request} request
 * @param {string} shellCache
 * @param {string} queuedUrl
 * @param {number} timeoutMs how long a field worker waits before the form is kept instead
 *   (OFFLINE_FORM_TIMEOUT_MS, 8 s by default)
 * @param {Set<string>} envelope the fields that describe the mutation rather than the record
 *   (server/syncing/forms.py ENVELOPE, sent in the /sw.js build)
 * @returns {Promise<Response>}
 */
export async function handleFormPost(request, shellCache, queuedUrl, timeoutMs, envelope) {
  const form = await request.clone().formData().catch(() => null);
  const tipoff = form?.get("queue") === "tipoff";
  if (!form || (!tipoff && (!form.get("mutation_id") || !form.get("entity")))) return fetch(request);
  try {
    const response = await withTimeout(fetch(request), timeoutMs || 8000);
    if (response.status < 500) return response; // answered: the server decided
  } catch {
    // offline, or too slow: keep it (if the slow request lands after all, the replay is
    // answered as already applied: the mutation id makes it harmless)
  }
  await (tipoff ? keepTipoff(form) : keepForm(form, envelope));
  // Through htmx (boosted or not) only the notice is sent, into the page's own #main: the
  // page keeps its header (the honest badge) and the person's tab bar. The precached whole
  // page may have been rendered for nobody (the worker installs on the login page).
  const htmx = request.headers.get("HX-Request") === "true";
  const cached = await caches.match(htmx ? `${queuedUrl}?fragment=1` : queuedUrl, { cacheName: shellCache });
  const headers = { "content-type": "text/html; charset=utf-8", [FROM_PHONE]: "1" };
  return new Response(cached ? await cached.text() : "", {
    status: 202,
    headers: htmx ? { ...headers, "HX-Retarget": "#main", "HX-Reswap": "innerHTML", "HX-Push-Url": "false" } : headers,
  });
}

/**
 * @template T
 * @param {Promise<T>} promise @param {number} ms
 * @returns {Promise<T>}
 */
function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); });
  });
}
