// @ts-check
// What is kept on the phone shows where it belongs. A report belongs in the list of hazards,
// marked 待发送, or the list says 0 right after the person reported one offline; when the
// phone's reports leave the outbox (sent), the list is fetched again so that they appear as
// the server has them. On the home: how much waits to send, and a call-up confirmed offline
// no longer asks for a confirmation (a cached home would say 请立即确认 again); a household
// marked offline shows 已在本机标记 in the list of one's households.
import { listen } from "./changes.js";
import { entries } from "./outbox.js";
import { waiting } from "./photos.js";

/** @param {Document} doc */
export function watchQueuedLists(doc) {
  let shown = -1;
  const render = async () => {
    const box = doc.getElementById("queued-hazards");
    if (!box) {
      shown = -1;
      return;
    }
    const reports = (await entries()).filter(
      (e) => e.state !== "rejected" && e.mutation.entity === "hazard" && e.mutation.op === "report");
    if (shown > reports.length && navigator.onLine) refreshRows();
    shown = reports.length;
    draw(doc, box, reports.map((e) => e.mutation.fields || {}));
  };
  const home = () => showOnHome(doc).catch(() => undefined);
  listen(render);
  listen(home);
  doc.addEventListener("htmx:afterSettle", render);
  doc.addEventListener("htmx:afterSettle", home);
  render();
  home();
}

/** @param {Document} doc */
async function showOnHome(doc) {
  const box = doc.getElementById("home-queued");
  const banners = doc.querySelectorAll("[data-callup-target]");
  const households = doc.querySelectorAll("[data-evac-row]");
  if (!box && banners.length === 0 && households.length === 0) return;
  const kept = (await entries()).filter((e) => e.state !== "rejected");
  if (box) {
    const photos = (await waiting()).length;
    const count = box.querySelector("[data-queued-count]");
    if (count) count.textContent = String(kept.length + photos);
    box.hidden = kept.length + photos === 0;
  }
  const confirmed = new Set(kept
    .filter((e) => e.mutation.entity === "callup_target" && e.mutation.op === "confirm")
    .map((e) => e.mutation.record_id));
  for (const banner of banners) {
    banner.toggleAttribute("data-kept", confirmed.has(banner.getAttribute("data-callup-target") || ""));
  }
  // a household marked without signal says so in the list, or it reads 待转移 still
  const marked = new Set(kept.filter((e) => e.mutation.entity === "evac_row").map((e) => e.mutation.record_id));
  for (const row of households) {
    row.toggleAttribute("data-kept", marked.has(row.getAttribute("data-evac-row") || ""));
  }
}

/**
 * @param {Document} doc @param {HTMLElement} box
 * @param {Record<string, unknown>[]} reports
 */
function draw(doc, box, reports) {
  const list = box.querySelector("ul");
  const row = box.querySelector("template");
  if (!list || !(row instanceof HTMLTemplateElement)) return;
  // the category's name as the page's own filter names it
  const names = new Map([...doc.querySelectorAll('select[name="category"] option')]
    .map((o) => [o.getAttribute("value") || "", (o.textContent || "").trim()]));
  list.replaceChildren(...reports.map((fields) => {
    const node = /** @type {DocumentFragment} */ (row.content.cloneNode(true));
    const category = String(fields.category || "");
    const set = (/** @type {string} */ name, /** @type {string} */ text) => {
      const el = node.querySelector(`[data-field="${name}"]`);
      if (el) el.textContent = text;
    };
    set("category", names.get(category) || category);
    set("summary", String(fields.description || fields.address || "").slice(0, 80));
    return node;
  }));
  const count = box.querySelector("[data-queued-count]");
  if (count) count.textContent = String(reports.length);
  box.hidden = reports.length === 0;
}

/** The list as the server has it now (the filters of the page's own address). */
function refreshRows() {
  const htmx = /** @type {any} */ (window).htmx;
  htmx?.ajax("GET", location.pathname + location.search,
    { target: "#hazard-rows", select: "#hazard-rows", swap: "outerHTML" }).catch(() => undefined);
}
