// @ts-check
// The page's entry module: wires the network indicator and registers the service worker.
import { watchBoards } from "./board.js";
import { watchChosenPhotos } from "./chosen-photos.js";
import { watchFormIds } from "./form-ids.js";
import { watchUncontrolledForms } from "./form-keeper.js";
import { watchLocation } from "./geo.js";
import { watchLive } from "./live.js";
import { watchNetwork } from "./network.js";
import { watchPatrols } from "./patrol.js";
import { watchPending } from "./pending-page.js";
import { watchPhotoInputs } from "./photos.js";
import { watchPinMaps } from "./pin-map.js";
import { watchPrefill } from "./prefill.js";
import { watchPrintButtons } from "./print.js";
import { watchPushSettings } from "./push.js";
import { watchDoors } from "./qr-scan.js";
import { watchQueuedLists } from "./queued-lists.js";
import { startReplay } from "./replay-triggers.js";
import { watchTipoffs } from "./tipoff-queue.js";
import { watchTrackMaps } from "./track-map.js";
import { forgetPagesOnLogout, registerServiceWorker } from "./sw-register.js";

// Every htmx request carries the page's CSRF token (one <meta> in base.html).
document.addEventListener("htmx:configRequest", (event) => {
  const detail = /** @type {CustomEvent} */ (event).detail;
  const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content");
  if (token) detail.headers["x-csrftoken"] = token;
});
watchNetwork(document.documentElement);
registerServiceWorker(document);
forgetPagesOnLogout(document);
startReplay(document);
watchPending(document);
watchPhotoInputs(document);
watchFormIds(document);
watchUncontrolledForms(document); // a form on a page no service worker controls
watchPrefill(document); // after the fresh ids: a linked record keeps its id
watchLocation(document);
watchPinMaps(document); // the draggable pin of a location box
watchPushSettings(document);
watchLive(document);
watchBoards(document);
watchPatrols(document);
watchDoors(document);
watchTrackMaps(document);
watchTipoffs(document);
watchChosenPhotos(document); // what a plain file input chose
watchQueuedLists(document); // reports kept on the phone, in the list of hazards
watchPrintButtons(document);
// After a step on a record (accept, assign, verify...) the page comes back at its top while the
// next step waits at the bottom: bring the actions into view.
document.addEventListener("htmx:afterSettle", (event) => {
  const detail = /** @type {CustomEvent} */ (event).detail;
  // a step on a record (/hazards/<id>/accept), not a new one (its page opens at its top)
  const path = String(detail?.requestConfig?.path || "");
  if (detail?.requestConfig?.verb !== "post" || !/\/[0-9a-f-]{32,36}\/[a-z_]+$/.test(path)) return;
  const at = document.getElementById("action-error") || document.getElementById("actions");
  // after htmx's own scroll to the top of a boosted page
  if (at) setTimeout(() => at.scrollIntoView({ block: "start" }), 0);
});
