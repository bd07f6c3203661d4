// @ts-check
/// <reference lib="webworker" />
// Shows what a push brings, and opens its page when it is tapped. Opened (已读) and acted
// (e.g. 收到) are told to the server separately from delivered: only a confirmation counts
// for a call-up, and that is the call-up's own mutation (posted, or queued when offline).

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
  event.waitUntil((async () => {
    if (id) await tell(event.action ? "acted" : "opened");
    const target = new URL(url, sw.location.origin).href;
    const windows = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((w) => w.url === target);
    return open ? open.focus() : sw.clients.openWindow(target);
  })());
}
