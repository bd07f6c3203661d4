// @ts-check
// One word to every page (and the worker) that what waits on this phone changed: a write
// kept or sent, a photo kept or uploaded. The pending badge and page count again.
const CHANNEL = "gridwatch-outbox";

export function announce() {
  if (typeof BroadcastChannel === "undefined") return;
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage("changed");
  channel.close();
}

/** @param {() => void} changed */
export function listen(changed) {
  if (typeof BroadcastChannel !== "undefined") new BroadcastChannel(CHANNEL).onmessage = changed;
}
