// @ts-check
// Owns the Push API on the page: whether push can reach this phone, and subscribing it.
// The service worker shows what arrives (sw/notifications.js).

/** @returns {"ios-install" | "unsupported" | "denied" | "available"} */
export function pushSupport() {
  const ios = /iPhone|iPad|iPod/.test(navigator.userAgent);
  const nav = /** @type {Navigator & { standalone?: boolean }} */ (navigator);
  const installed = matchMedia("(display-mode: standalone)").matches || nav.standalone === true;
  if (ios && !installed) return "ios-install"; // iOS 16.4+: only apps on the home screen
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return "unsupported";
  }
  return Notification.permission === "denied" ? "denied" : "available";
}

/** @param {string} text base64url @returns {Uint8Array} */
function decode(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

/**
 * @param {string} url where the subscription is kept: the person's devices, or a tip-off's
 * @returns {Promise<"subscribed" | "denied" | "failed">}
 */
export async function subscribePush(url = "/notify/subscriptions") {
  if ((await Notification.requestPermission()) !== "granted") return "denied";
  try {
    const registration = await navigator.serviceWorker.ready;
    const { publicKey } = await (await fetch("/notify/key", { credentials: "same-origin" })).json();
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: decode(publicKey),
    });
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(subscription.toJSON()),
    });
    return response.ok ? "subscribed" : "failed";
  } catch {
    return "failed"; // no push service reachable (Android without Google services), offline...
  }
}

/** @param {Document} doc */
export function watchPushSettings(doc) {
  const box = doc.getElementById("push-settings");
  if (!box) return;
  const show = (/** @type {string} */ state) => {
    for (const el of box.querySelectorAll("[data-push-state]")) {
      if (el instanceof HTMLElement) el.hidden = el.dataset.pushState !== state;
    }
  };
  show(box.dataset.subscribed === "true" ? "subscribed" : pushSupport());
  box.querySelector("[data-push-enable]")?.addEventListener("click", async () => {
    show("working");
    show(await subscribePush(box.dataset.subscribeUrl));
  });
}
