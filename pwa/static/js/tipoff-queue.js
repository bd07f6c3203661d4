// @ts-check
// Public tip-offs kept on the phone while there is no network, and sent when it returns: the
// form as it was (fields and photos), posted again with a fresh CSRF token; the answer's
// tracking code is kept, since a resident has no account to find it again. A tip-off the
// server refuses stays listed with its reason: nothing typed is lost.
import { settle, transact } from "./idb.js";

const RETRY_MS = 30_000;

/** @typedef {{ id: string, fields: [string, FormDataEntryValue][], queued_at: number, refused?: string }} Kept */
/** @typedef {{ code: string, number: string, url: string, at: number }} Receipt */

/** Keep a form that could not be sent. @param {FormData} form */
export async function keepTipoff(form) {
  const fields = [...form.entries()].filter(([name]) => name !== "_csrf_token");
  const id = String(form.get("submission_id") || crypto.randomUUID());
  await transact(["tipoffs"], "readwrite", (tx) => {
    tx.objectStore("tipoffs").put({ id, fields, queued_at: Date.now() });
  });
}

/** @returns {Promise<Kept[]>} */
function kept() {
  return transact(["tipoffs"], "readonly", (tx) => settle(tx.objectStore("tipoffs").getAll()));
}

/** @returns {Promise<Receipt[]>} */
function receipts() {
  return transact(["receipts"], "readonly", (tx) => settle(tx.objectStore("receipts").getAll()));
}

/** A fresh CSRF token, its cookie set by the same answer (the page's may be a cached copy). */
async function token() {
  const answer = await fetch("/csrf-token", { credentials: "same-origin", cache: "no-store" });
  return String((await answer.json()).token || "");
}

/**
 * Send every kept tip-off once; stops at the first network failure (tried again later).
 * @returns {Promise<number>} how many were stored by the server
 */
export async function sendKept() {
  let sent = 0;
  /** @type {string | null} */
  let csrf = null; // one page for the whole round, not one per kept form
  for (const entry of await kept()) {
    if (entry.refused) continue;
    const body = new FormData();
    for (const [name, value] of entry.fields) body.append(name, value);
    let response;
    try {
      response = await fetch("/tipoffs", {
        method: "POST", body, credentials: "same-origin",
        headers: { accept: "application/json", "x-csrftoken": (csrf ??= await token()) },
      });
    } catch {
      break; // still no network
    }
    if (response.status === 429 || response.status >= 500) break; // later
    const answer = await response.json().catch(() => ({}));
    await transact(["tipoffs", "receipts"], "readwrite", (tx) => {
      if (response.status === 201) {
        tx.objectStore("receipts").put({ ...answer, at: Date.now() });
        tx.objectStore("tipoffs").delete(entry.id);
      } else {
        tx.objectStore("tipoffs").put({ ...entry, refused: String(answer.error || response.status) });
      }
    });
    if (response.status === 201) sent += 1;
  }
  return sent;
}

/** @param {Document} doc */
async function show(doc) {
  const box = doc.querySelector("[data-my-tipoffs]");
  if (!(box instanceof HTMLElement)) return;
  const [waiting, got] = await Promise.all([kept(), receipts()]);
  const list = box.querySelector("[data-receipts]");
  const template = box.querySelector("[data-refused-text]");
  const refusedText = template instanceof HTMLTemplateElement ? template.content.textContent || "" : "";
  if (!list) return;
  list.replaceChildren(
    ...got.sort((a, b) => b.at - a.at).map((r) => {
      const item = doc.createElement("li");
      const link = doc.createElement("a");
      link.href = r.url;
      link.textContent = `${r.number} · ${r.code}`;
      item.append(link);
      return item;
    }),
    ...waiting.filter((w) => w.refused).map((w) => {
      const item = doc.createElement("li");
      item.className = "error-box";
      item.textContent = `${refusedText} ${w.refused}`;
      return item;
    }),
  );
  const pending = waiting.filter((w) => !w.refused).length;
  const count = box.querySelector("[data-waiting-count]");
  if (count) count.textContent = String(pending);
  box.querySelector("[data-waiting]")?.toggleAttribute("hidden", pending === 0);
  box.hidden = got.length + waiting.length === 0;
}

/**
 * Online, the form is sent from the page: a refusal (a missing field, too many tip-offs
 * today) is shown above the button and the form keeps everything, the chosen photos too (a
 * page the server sends back cannot hold the files). Without a network it goes the usual way,
 * through the service worker, which keeps it.
 * @param {Document} doc
 */
function sendFromPage(doc) {
  doc.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.id !== "tipoff-form" || !navigator.onLine) return;
    event.preventDefault();
    const said = form.querySelector("[data-send-error]");
    const button = form.querySelector("button[type=submit]");
    if (button instanceof HTMLButtonElement) button.disabled = true;
    const csrf = form.querySelector("input[name=_csrf_token]");
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { accept: "application/json", "x-csrftoken": csrf instanceof HTMLInputElement ? csrf.value : "" },
      });
    } catch {
      HTMLFormElement.prototype.submit.call(form); // no network after all: the worker keeps it
      return;
    } finally {
      if (button instanceof HTMLButtonElement) button.disabled = false;
    }
    const answer = await response.json().catch(() => ({}));
    if (response.status === 201 && answer.url) {
      location.assign(`${answer.url}?new=1`);
      return;
    }
    if (said instanceof HTMLElement) {
      said.textContent = String(answer.error || said.dataset.failed || response.status);
      said.hidden = false;
      said.scrollIntoView({ block: "center" });
    }
  });
}

/** On load, when the network returns, when the phone is looked at again, and every 30 s. @param {Document} doc */
export function watchTipoffs(doc) {
  if (!("indexedDB" in window)) return;
  sendFromPage(doc);
  const round = async () => {
    if (navigator.onLine) await sendKept().catch(() => 0);
    await show(doc).catch(() => undefined);
  };
  round();
  window.addEventListener("online", round);
  doc.addEventListener("visibilitychange", () => { if (doc.visibilityState === "visible") round(); });
  setInterval(round, RETRY_MS);
}
