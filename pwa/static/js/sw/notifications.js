// @ts-check
/// <reference lib="webworker" />
// Shows what a push brings, and opens its page when it is tapped. Opened (已读) is told to
// the server; an action (e.g. 收到) is a mutation through the outbox: sent at once when the
// network is there, kept and replayed when it is not, its phone time kept.
import { enqueue, replay } from "../outbox.js";

/** @param {ServiceWorkerGlobalScope} sw @param {PushEvent} event */
export function showPush(sw, event) {
  let data;
  try {
    data = event.data ? event.data.json() : null;
  } catch {
    data = null;
  }
  if (!data || !data.title) return;
  event.waitUntil(sw.registration.showNotification(data.title, {
    body: data.body || "",
    tag: data.tag,
    data: { url: data.url || "/", id: data.id, kind: data.kind },
    icon: "/static/icons/icon-192.png",
    requireInteraction: data.kind === "callup", // a call-up stays until it is answered
    // @ts-ignore: actions and renotify are not in every lib.dom yet
    actions: (data.actions || []).slice(0, 2),
    renotify: true,
  }));
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
