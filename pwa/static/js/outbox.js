// @ts-check
// Owns the outbox: making mutations, keeping them until the server has answered, replaying
// them in order, parking the ones that keep failing. Pages and the service worker share it.
import * as hlc from "./hlc.js";
import { settle, transact } from "./idb.js";
import { announce, listen } from "./changes.js";
import { uploadAll, waiting } from "./photos.js";
import { refreshFromFeed } from "./refresh.js";

export const MAX_ATTEMPTS = 8;
const BATCH = 100;
/** The Background Sync tag the service worker replays the outbox on (sw/main.js). */
export const SYNC_TAG = "gridwatch-outbox";

/**
 * @typedef {{ mutation_id: string, device_id: string, epoch: number, device_seq: number,
 *   entity: string, record_id: string, op: string, fields: Record<string, unknown>,
 *   base_seq: number, hlc: string, phone_time: number }} Mutation
 * @typedef {{ order?: number, mutation: Mutation, state: "queued" | "parked" | "rejected",
 *   attempts: number, last_error: string, queued_at: number }} Entry
 * @typedef {{ key: "device", id: string, epoch: number, seq: number, clock: hlc.Clock }} Device
 */

/**
 * How much waits on this phone, now and whenever it changes: writes not yet accepted and
 * photos not yet whole on the server (a report sent without its photos is not sent: the
 * badge must not say 0 while the evidence is still in the pocket).
 * @param {(count: number) => void} show
 * @returns {() => Promise<void>} to count again (a page swapped in brings a fresh badge)
 */
export function onChange(show) {
  const refresh = () => Promise.all([counts(), waiting()])
    .then(([c, photos]) => show(c.queued + c.parked + photos.length));
  listen(refresh);
  refresh();
  return refresh;
}

/**
 * Who this phone is. The id comes from the server (the device session) so that a phone whose
 * storage was wiped comes back under the same id with a new epoch, and the server can tell
 * what was lost.
 * @param {string} deviceId
 */
export async function ensureDevice(deviceId) {
  return transact(["meta"], "readwrite", async (tx) => {
    const store = tx.objectStore("meta");
    const device = /** @type {Device | undefined} */ (await settle(store.get("device")));
    if (device) return device;
    const fresh = newDevice(deviceId);
    store.put(fresh);
    return fresh;
  });
}

/** @param {string} deviceId @returns {Device} */
function newDevice(deviceId) {
  return {
    key: "device", id: deviceId, epoch: Math.floor(Date.now() / 1000), seq: 0,
    clock: { wall: 0, counter: 0, node: deviceId.slice(0, 8) },
  };
}

/**
 * Make a mutation and keep it; resolves once it is safely on disk.
 * @param {string} entity @param {string} op @param {string} recordId
 * @param {Record<string, unknown>} fields @param {number} baseSeq
 * @returns {Promise<Mutation>}
 */
export function enqueue(entity, op, recordId, fields, baseSeq) {
  return enqueueWith(crypto.randomUUID(), entity, op, recordId, fields, baseSeq);
}

/**
 * The same, keeping an id made earlier (a form rendered with its mutation_id: submitting it
 * twice stays one mutation).
 * @param {string} mutationId @param {string} entity @param {string} op @param {string} recordId
 * @param {Record<string, unknown>} fields @param {number} baseSeq
 * @returns {Promise<Mutation>}
 */
export async function enqueueWith(mutationId, entity, op, recordId, fields, baseSeq) {
  const mutation = await transact(["outbox", "meta"], "readwrite", async (tx) => {
    const meta = tx.objectStore("meta");
    // A page registers the device (with the session's id) when it loads; if none has yet
    // (a form sent offline right after a login, a page closed mid-write), a device is made
    // here rather than losing what the person submitted.
    const device = /** @type {Device} */ (await settle(meta.get("device"))) || newDevice(crypto.randomUUID());
    const now = Date.now();
    device.seq += 1;
    device.clock = hlc.tick(device.clock, now);
    meta.put(device);
    /** @type {Mutation} */
    const made = {
      mutation_id: mutationId, device_id: device.id, epoch: device.epoch,
      device_seq: device.seq, entity, record_id: recordId, op, fields, base_seq: baseSeq,
      hlc: hlc.format(device.clock), phone_time: now,
    };
    tx.objectStore("outbox").add({ mutation: made, state: "queued", attempts: 0,
      last_error: "", queued_at: now });
    return made;
  });
  announce();
  askToKeepStorage();
  askForBackgroundSync();
  // Tell the server at once that this phone made one more write, wherever a network exists
  // (a slow one that made the form wait counts): if the phone is lost or wiped before the
  // write is sent, the server knows that something never arrived and raises the alarm.
  if (typeof navigator === "undefined" || navigator.onLine) announceDevice().catch(() => false);
  return mutation;
}

/**
 * Where the browser has Background Sync (Android Chrome), ask it to wake the service worker
 * when the network returns, so what was kept is sent with no page open (sw/main.js listens
 * for this tag). Elsewhere (iOS) the page's triggers (replay-triggers.js) do it.
 */
function askForBackgroundSync() {
  /** @type {Promise<ServiceWorkerRegistration | undefined>} */
  const registration = typeof window === "undefined"
    ? Promise.resolve(/** @type {any} */ (self).registration)
    : (navigator.serviceWorker ? navigator.serviceWorker.ready : Promise.resolve(undefined));
  registration
    .then((r) => /** @type {any} */ (r)?.sync?.register(SYNC_TAG))
    .catch(() => undefined); // refused (no permission, private window): the page still replays
}

/**
 * Keep an offline-capable form's write: its fields as the server reads a form posted online
 * (server/syncing/forms.py): the envelope's names are not fields, a field named `photos...`
 * is a list of photo hashes (the photos travel apart), every other field its string value.
 * @param {FormData} form @param {Set<string>} envelope
 * @returns {Promise<Mutation>}
 */
export function keepForm(form, envelope) {
  /** @type {Record<string, unknown>} */
  const fields = {};
  for (const [name, value] of form.entries()) {
    if (envelope.has(name) || typeof value !== "string") continue;
    if (name.startsWith("photos")) {
      const list = /** @type {Array<{id: string, sha256: string}>} */ (fields[name] || []);
      if (value) fields[name] = [...list, { id: value, sha256: value }];
    } else {
      fields[name] = value;
    }
  }
  return enqueueWith(String(form.get("mutation_id")), String(form.get("entity")),
    String(form.get("op") || "create"), String(form.get("record_id") || crypto.randomUUID()),
    fields, Number(form.get("base_seq") || 0));
}

/** At the first save, ask the browser not to evict our storage under pressure. */
function askToKeepStorage() {
  const storage = typeof navigator !== "undefined" ? navigator.storage : undefined;
  if (storage && typeof storage.persist === "function" && typeof window !== "undefined") {
    storage.persisted().then((kept) => kept || storage.persist()).catch(() => undefined);
  }
}

/** @returns {Promise<Entry[]>} every entry, oldest first */
export function entries() {
  return transact(["outbox"], "readonly", (tx) => settle(tx.objectStore("outbox").getAll()));
}

export async function counts() {
  const all = await entries();
  const by = (/** @type {string} */ s) => all.filter((e) => e.state === s).length;
  return { queued: by("queued"), parked: by("parked"), rejected: by("rejected") };
}

/** @typedef {{ sent: number, offline: boolean }} ReplayResult */
/** @type {Promise<ReplayResult> | null} */
let running = null;
/** @type {Promise<ReplayResult> | null} */
let following = null;

/**
 * Send what is queued, in order, in batches. One replay at a time per context; safe to call
 * from every trigger (load, online, visibility, timer, Background Sync). A trigger that
 * arrives while a replay runs gets one more replay after it: the running one may have met
 * the network still down just before `online` fired, and must not make that signal void.
 * @param {{ maxAttempts?: number }} [options]
 * @returns {Promise<ReplayResult>}
 */
export function replay(options = {}) {
  if (!running) {
    running = replayOnce(options.maxAttempts ?? MAX_ATTEMPTS).finally(() => { running = null; });
    return running;
  }
  following ??= running.then(() => {
    following = null;
    return replay(options);
  });
  return following;
}

/** @param {number} maxAttempts @returns {Promise<ReplayResult>} */
async function replayOnce(maxAttempts) {
  const result = await exclusive(() => drain(maxAttempts));
  // Records first (a hazard reaches the station even over 2G), then their photos.
  if (result.offline) return result;
  const photos = await uploadAll();
  if (!photos.offline) await refreshFromFeed().catch(() => 0);
  return { sent: result.sent, offline: photos.offline };
}

/**
 * A JSON request body, gzipped where the browser can (batches shrink several times: on 2G
 * that is most of the wait).
 * @param {unknown} value
 */
async function jsonBody(value) {
  const json = JSON.stringify(value);
  const headers = { "content-type": "application/json", accept: "application/json" };
  if (typeof CompressionStream === "undefined") return { headers, body: json };
  const stream = new Blob([json]).stream().pipeThrough(new CompressionStream("gzip"));
  const body = await new Response(stream).arrayBuffer();
  return { headers: { ...headers, "content-encoding": "gzip" }, body };
}

/**
 * Pages and the service worker each may start a replay: the Web Locks API lets only one of
 * them send at a time, so the same entries are not sent twice in parallel.
 * @template T @param {() => Promise<T>} work @returns {Promise<T>}
 */
function exclusive(work) {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  return locks ? locks.request("gridwatch-outbox", work) : work();
}

/** @param {number} maxAttempts */
async function drain(maxAttempts) {
  let sent = 0;
  let announced = false;
  for (;;) {
    const batch = (await entries()).filter((e) => e.state === "queued").slice(0, BATCH);
    if (batch.length === 0) return { sent, offline: false };
    let response;
    try {
      if (!announced) announced = await announceDevice();
      response = await fetch("/sync/mutations", {
        method: "POST", credentials: "same-origin",
        ...(await jsonBody({ mutations: batch.map((e) => e.mutation) })),
      });
    } catch (error) {
      return { sent, offline: true }; // no network: not the mutation's fault, nothing counted
    }
    if (response.status === 401 || response.status === 403) return { sent, offline: false };
    const results = response.ok ? (await response.json()).results : [];
    const settled = await record(batch, results, response.ok ? "" : `HTTP ${response.status}`, maxAttempts);
    sent += results.filter((/** @type {unknown} */ r) => r).length;
    // Go on while entries leave the queue (answered, refused or parked); else try later.
    if (!settled) return { sent, offline: false };
  }
}

/**
 * Tell the server how many mutations this phone has made in this epoch, sent or not: if the
 * phone later loses its storage, the server knows what never arrived and says so.
 */
async function announceDevice() {
  const device = await transact(["meta"], "readonly", (tx) => settle(tx.objectStore("meta").get("device")));
  if (!device) return false;
  // what each item not sent yet is (its kind and its words): a lost one is named by it
  const items = (await entries()).filter((e) => e.mutation.epoch === device.epoch).slice(-100)
    .map((e) => ({ seq: e.mutation.device_seq, kind: `${e.mutation.entity}.${e.mutation.op}`.slice(0, 40),
      summary: summaryOf(e.mutation.fields || {}) }));
  await fetch("/sync/announce", {
    method: "POST", credentials: "same-origin",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ device_id: device.id, epoch: device.epoch, highest_seq: device.seq, items }),
  });
  return true;
}

/**
 * A line of what the person typed, so that they (and the pending page) recognise the item.
 * @param {Record<string, unknown>} fields
 */
export function summaryOf(fields) {
  for (const name of ["description", "title", "rectify_note", "note", "notes", "address"]) {
    const value = fields[name];
    if (typeof value === "string" && value.trim()) return value.trim().slice(0, 80);
  }
  return "";
}

/**
 * Settle a batch by the server's answers: accepted ones leave, rejected ones stay visible,
 * the first unanswered one counts an attempt (and is parked after too many).
 * @param {Entry[]} batch @param {Array<{verdict: string, reason: string, hlc: string} | null>} results
 * @param {string} error @param {number} maxAttempts
 * @returns {Promise<boolean>} whether any entry left the queue
 */
async function record(batch, results, error, maxAttempts) {
  let settled = 0;
  await transact(["outbox", "meta"], "readwrite", async (tx) => {
    const outbox = tx.objectStore("outbox");
    let latest = "";
    for (const [i, entry] of batch.entries()) {
      const result = results[i];
      if (result && result.verdict === "rejected") {
        outbox.put({ ...entry, state: "rejected", last_error: result.reason });
      } else if (result) {
        outbox.delete(/** @type {number} */ (entry.order));
        latest = result.hlc > latest ? result.hlc : latest;
      } else {
        const attempts = entry.attempts + 1;
        const state = attempts >= maxAttempts ? "parked" : "queued";
        outbox.put({ ...entry, attempts, state, last_error: error || "no answer for this entry" });
        if (state === "parked") settled += 1;
        break; // keep the order: the rest waits behind it until it is parked
      }
      settled += 1;
    }
    if (latest) {
      const meta = tx.objectStore("meta");
      const device = /** @type {Device} */ (await settle(meta.get("device")));
      device.clock = hlc.receive(device.clock, hlc.parse(latest), Date.now());
      meta.put(device);
    }
  });
  announce();
  return settled > 0;
}
