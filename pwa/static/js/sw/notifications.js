// @ts-check
/// <reference lib="webworker" />
// Shows what a push brings, and opens its page when it is tapped. Opened (已读) is told to
// the server; an action (e.g. 收到) is a mutation through the outbox: sent at once when the
// network is there, kept and replayed when it is not, its phone time kept.
import { settle, transact } from "../idb.js";
import { enqueue, replay } from "../outbox.js";
import { PAGES_CACHE } from "./caches.js";

/** The messages this phone has shown lately (the meta store), newest last. */
const SEEN_KEY = "pushes-seen";
const SEEN_KEEP = 300;

/** @param {ServiceWorkerGlobalScope} sw @param {PushEvent} event */
export function showPush(sw, event) {
  let data;
  try {
    data = event.data ? event.data.json() : null;
  } catch {
    data = null;
  }
  if (!data || !data.title) return;
  // A push means the network is there now: keep the page it opens, so that a tap in a dead
  // zone a minute later still opens it (and its answer is queued). Not counted as opened.
  event.waitUntil(keepPage(sw, data.url || "/"));
  // A message pushed twice (a worker killed after the push service took it, before it was
  // recorded) alerts once: the second replaces the first silently. It must still be shown:
  // a push that shows nothing gets the browser's own "updated in the background" notice.
  event.waitUntil(seenBefore(data.id).then((again) => sw.registration.showNotification(data.title, {
    body: data.body || "",
    tag: data.tag,
    data: { url: data.url || "/", id: data.id, kind: data.kind },
    icon: "/static/icons/icon-192.png",
    requireInteraction: data.kind === "callup", // a call-up stays until it is answered
    // @ts-ignore: actions and renotify are not in every lib.dom yet
    actions: (data.actions || []).slice(0, 2),
    renotify: !again,
    silent: again,
  })));
}

/**
 * Whether message `id` was shown on this phone before; it is noted as shown now. Unknown
 * (storage failing) counts as new: an alert twice beats none.
 * @param {string | undefined} id
 * @returns {Promise<boolean>}
 */
async function seenBefore(id) {
  if (!id) return false;
  try {
    return await transact(["meta"], "readwrite", async (tx) => {
      const store = tx.objectStore("meta");
      const row = await settle(store.get(SEEN_KEY));
      const ids = /** @type {string[]} */ (row ? row.ids : []);
      if (ids.includes(id)) return true;
      store.put({ key: SEEN_KEY, ids: [...ids, id].slice(-SEEN_KEEP) });
      return false;
    });
  } catch {
    return false;
  }
}

/** @param {ServiceWorkerGlobalScope} sw @param {NotificationEvent} event */
export function openFromNotification(sw, event) {
  event.notification.close();
  const { url = "/", id = "" } = event.notification.data || {};
  const tell = (/** @type {string} */ what) => fetch(`/notify/messages/${id}/${what}`, {
    method: "POST", credentials: "same-origin",
    headers: { "content-type": "application/json" }, body: "{}",
  }).catch(() => undefined); // offline: the page itself says it was opened later
  if (event.action && id) {
    // 收到 from the lock screen: recorded (or queued when offline), no page needed
    event.waitUntil(act(id, event.action));
    return;
  }
  event.waitUntil((async () => {
    if (id) await tell("opened");
    const target = new URL(url, sw.location.origin).href;
    const windows = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((w) => w.url === target);
    return open ? open.focus() : sw.clients.openWindow(target);
  })());
}

/**
 * Take a notification's action on message `id` (also asked by pages: {type: "act"}).
 * @param {string} id @param {string} action
 */
export async function act(id, action) {
  await enqueue("message", "act", id, { action }, 0);
  await replay(); // online: sent now; offline: stays queued for the next trigger
}

/**
 * Fetch and keep a same-origin page, marked as a prefetch (the server does not count it as
 * the person opening the message). Failing is harmless: the tap fetches it again.
 * @param {ServiceWorkerGlobalScope} sw @param {string} url
 */
async function keepPage(sw, url) {
  const target = new URL(url, sw.location.origin);
  if (target.origin !== sw.location.origin) return;
  try {
    const response = await fetch(target.href, { credentials: "same-origin", headers: { "X-Prefetch": "1" } });
    if (response.ok && response.type === "basic") {
      await (await caches.open(PAGES_CACHE)).put(target.href, response);
    }
  } catch {
    // offline after all: nothing to keep
  }
}
