// @ts-check
// The patrol walk page: start, follow the route while the page is open, check in at
// checkpoints, end. Every step is a mutation through the outbox (kept offline, sent when the
// network is there), so a patrol started and ended in a dead zone syncs whole. The route is
// thinned on the phone (a fix is kept when it moved 5 m or after 30 s) and sent in batches.
import { follow } from "./geo.js";
import { enqueue, replay } from "./outbox.js";
import { listen } from "./changes.js";
import { tokenOf, wireScanner } from "./qr-scan.js";

const KEEP_METRES = 5;
const KEEP_MS = 30_000;
const BATCH = 20;

/** @param {number} lat1 @param {number} lng1 @param {number} lat2 @param {number} lng2 */
function metres(lat1, lng1, lat2, lng2) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lng2 - lng1) * rad) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** @param {Document} doc */
export function watchPatrols(doc) {
  doc.addEventListener("htmx:load", () => setUp(doc));
  setUp(doc);
}

/** @param {Document} doc */
function setUp(doc) {
  const page = doc.querySelector("[data-patrol]");
  if (!(page instanceof HTMLElement) || page.dataset.ready) return;
  page.dataset.ready = "1";
  const planId = page.dataset.plan || "";
  // a walk survives leaving the page (a hazard report opened from a check-in) and coming back
  const key = `gw-patrol:${planId}`;
  const saved = JSON.parse(sessionStorage.getItem(key) || "null");
  const patrolId = saved ? saved.patrolId : crypto.randomUUID();
  /** @type {{id: string, lat: number, lng: number, accuracy: number, at: number}[]} */
  let pending = [];
  /** @type {{lat: number, lng: number, accuracy: number, at: number} | null} */
  let last = null;
  let walked = saved ? saved.walked : 0;
  let started = saved ? saved.started : 0;
  let stop = () => undefined;
  /** @type {WakeLockSentinel | null} */
  let lock = null;
  const done = new Set(saved ? saved.done : []);
  /** @param {string} id */
  const markDone = (id) => {
    const li = page.querySelector(`[data-checkin="${id}"]`)?.closest("li");
    if (!li) return;
    li.setAttribute("data-done", "yes");
    li.removeAttribute("data-verdict");
    const line = li.querySelector("[data-verdict]");
    if (line) line.textContent = page.dataset.checkedIn || "";
  };
  const keep = () => sessionStorage.setItem(key, JSON.stringify({ patrolId, started, walked, done: [...done] }));
  const show = (/** @type {string} */ name, /** @type {string} */ value) => {
    for (const el of page.querySelectorAll(`[data-show="${name}"]`)) el.textContent = value;
  };
  const flush = async () => {
    if (!pending.length) return;
    const points = pending;
    pending = [];
    await enqueue("patrol", "track", patrolId, { points }, 0);
  };
  const onFix = (/** @type {{lat: number, lng: number, accuracy: number, at: number}} */ fix) => {
    // a walk resumed after a detour: its last fix is not known, the distance goes on from here
    if (last && metres(last.lat, last.lng, fix.lat, fix.lng) < KEEP_METRES && fix.at - last.at < KEEP_MS) return;
    if (last) walked += metres(last.lat, last.lng, fix.lat, fix.lng);
    last = fix;
    pending.push({ id: crypto.randomUUID(), ...fix });
    show("distance", String(Math.round(walked)));
    show("fix", (page.dataset.fixSaid || "±%(m)s m").replace("%(m)s", String(Math.round(fix.accuracy))));
    if (pending.length >= BATCH) flush();
  };
  const walk = async () => {
    page.dataset.state = "walking";
    stop = follow(onFix, () => show("fix", page.dataset.noFix || ""));
    // keep the screen on where the browser allows: iPhones stop tracking when it locks
    lock = await navigator.wakeLock?.request("screen").catch(() => null) ?? null;
  };
  page.querySelector("[data-patrol-start]")?.addEventListener("click", async () => {
    started = Date.now();
    keep();
    await enqueue("patrol", "start", patrolId, { plan_id: planId }, 0);
    await walk();
    replay();
  });
  if (saved) {
    for (const id of done) markDone(id);
    show("covered", String(done.size));
    show("distance", String(Math.round(walked)));
    walk();
  }
  page.querySelectorAll("[data-checkin]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!(form instanceof HTMLFormElement)) return;
      /** @param {string} text */
      const say = (text) => {
        const line = form.querySelector("[data-scan-said]");
        if (line) line.textContent = text;
      };
      if (!started) {
        say(page.dataset.startFirst || "");
        page.querySelector("[data-patrol-start]")?.scrollIntoView({ block: "center" });
        return;
      }
      const data = new FormData(form);
      const token = String(data.get("token") || "").trim();
      // "qr" only when the code was read by the camera and not changed by hand afterwards
      const chosen = String(data.get("method") || "code");
      const method = chosen === "code" && token && data.get("scanned") === token ? "qr" : chosen;
      const photos = data.getAll("photos").map(String).filter(Boolean).map((sha) => ({ id: sha, sha256: sha }));
      const result = String(data.get("result") || "normal");
      const hazardId = result === "hazard" ? crypto.randomUUID() : "";
      const checkin = {
        id: crypto.randomUUID(),
        ...(hazardId ? { hazard_id: hazardId } : {}),
        checkpoint_id: form.dataset.checkin,
        method,
        token,
        photos,
        result,
        note: String(data.get("note") || ""),
        at: Date.now(),
        ...(last ? { lat: last.lat, lng: last.lng, accuracy: last.accuracy } : {}),
      };
      if (method === "geofence" && !last) {
        say(page.dataset.noFix || "");
        return;
      }
      await flush();
      await enqueue("patrol", "checkin", patrolId, { checkins: [checkin] }, 0);
      done.add(form.dataset.checkin);
      markDone(form.dataset.checkin || "");
      // the photos are the outbox's now: a second check-in here starts without them
      form.querySelectorAll("input[type=hidden][name=photos], [data-photo-preview] > *").forEach((el) => el.remove());
      show("covered", String(done.size));
      keep();
      replay();
      if (hazardId) {
        // the report of what was found, linked to this check-in by its id; it opens from
        // the phone's copy of the report form when there is no signal
        const query = new URLSearchParams({ record_id: hazardId, place: form.dataset.place || "", place_name: form.dataset.placeName || "" });
        if (last) for (const [k, v] of Object.entries({ lat: last.lat, lng: last.lng, accuracy: last.accuracy })) query.set(k, String(v));
        stop();
        location.assign(`/hazards/new?${query}`);
      }
    });
  });
  wireCheckpointScanner(page);
  // once the check-ins are on the server, its verdict beside each: counted, or flagged and why
  const verdicts = async () => {
    if (!done.size || !navigator.onLine || !page.isConnected) return;
    const answer = await fetch(`/patrols/${patrolId}/verdicts`, { headers: { accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null)).catch(() => null);
    for (const v of answer?.verdicts || []) {
      const li = page.querySelector(`#point-${CSS.escape(v.checkpoint_id)}`);
      const line = li?.querySelector("[data-verdict]");
      if (!li || !line) continue;
      li.setAttribute("data-verdict", v.flagged ? "flagged" : "ok");
      line.textContent = v.why;
    }
  };
  listen(verdicts);
  verdicts();
  page.querySelector("[data-patrol-end]")?.addEventListener("click", async () => {
    if (!started) return;
    stop();
    await lock?.release().catch(() => undefined);
    await flush();
    await enqueue("patrol", "end", patrolId, {}, 0);
    sessionStorage.removeItem(key);
    page.dataset.state = "ended";
    show("minutes", String(Math.round((Date.now() - started) / 60_000)));
    replay();
  });
}

/**
 * The QR buttons of the checkpoints: what is read fills the checkpoint's code.
 * @param {HTMLElement} page
 */
function wireCheckpointScanner(page) {
  wireScanner(page, (form, text, otherwise) => {
    const said = form.querySelector("[data-scan-said]");
    if (!text) {
      if (said) said.textContent = otherwise;
      return;
    }
    const token = tokenOf(text);
    for (const name of ["token", "scanned"]) {
      const input = form.elements.namedItem(name);
      if (input instanceof HTMLInputElement) input.value = token;
    }
    const code = form.querySelector("input[name=method][value=code]");
    if (code instanceof HTMLInputElement) code.checked = true;
    if (said) said.textContent = `${page.dataset.scanRead || ""} ${token}`;
  });
}
