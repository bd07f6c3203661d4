// @ts-check
// Owns geolocation: fills a form's hidden lat/lng/accuracy fields from one GPS fix, says
// plainly what happened, and asks a report form to look for hazards nearby ("nearby").

const OPTIONS = { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 };

/** @param {Element} box @param {string} name */
export function text(box, name) {
  const template = box.querySelector(`template[data-geo-text="${name}"]`);
  return template instanceof HTMLTemplateElement ? (template.content.textContent || "").trim() : "";
}

/** @param {Element} box */
export function locate(box) {
  const status = box.querySelector("[data-geo-status]");
  const say = (/** @type {string} */ message) => { if (status) status.textContent = message; };
  if (!("geolocation" in navigator)) { say(text(box, "failed")); return; }
  say(text(box, "locating"));
  const prefix = box.getAttribute("data-geo-prefix") || "";
  navigator.geolocation.getCurrentPosition((position) => {
    const { latitude, longitude, accuracy } = position.coords;
    const set = (/** @type {string} */ name, /** @type {number} */ value, /** @type {number} */ digits) => {
      const input = box.querySelector(`input[name="${prefix}${name}"]`);
      if (input instanceof HTMLInputElement) input.value = value.toFixed(digits);
    };
    set("lat", latitude, 6);
    set("lng", longitude, 6);
    set("accuracy", accuracy, 0);
    say(text(box, "found").replace("%(m)s", String(Math.round(accuracy))));
    box.dispatchEvent(new CustomEvent("gw:located", { bubbles: true }));
    askNearby(box.closest("form"));
  }, () => say(text(box, "failed")), OPTIONS);
}

/**
 * Tell a report form to look for open hazards nearby ("nearby" triggers its htmx request):
 * only online, only with a fix and a category; offline the report is simply kept.
 * @param {HTMLFormElement | null} form
 */
export function askNearby(form) {
  if (!form || !navigator.onLine) return;
  const lat = form.querySelector("input[name='lat']");
  const category = form.querySelector("[name='category']");
  if (!(lat instanceof HTMLInputElement) || !lat.value) return;
  if (!(category instanceof HTMLSelectElement) || !category.value) return;
  form.dispatchEvent(new CustomEvent("nearby", { bubbles: true }));
}

/** @param {ParentNode} root */
function locateNewForms(root) {
  for (const box of root.querySelectorAll("form[data-locate] [data-geo]")) {
    const lat = box.querySelector("input[name$='lat']");
    if (lat instanceof HTMLInputElement && !lat.value) locate(box);
  }
}

/** @param {Document} doc */
export function watchLocation(doc) {
  doc.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-geo-button]") : null;
    const box = button?.closest("[data-geo]");
    if (box) locate(box);
  });
  doc.addEventListener("change", (event) => {
    const target = event.target;
    if (target instanceof HTMLSelectElement && target.name === "category") askNearby(target.form);
  });
  locateNewForms(doc);
  doc.addEventListener("htmx:load", (event) => {
    if (event.target instanceof Element) locateNewForms(event.target);
  });
}

/**
 * Follow the phone's position while a patrol is walked (watchPosition). Returns a function
 * that stops following. Fixes come with their accuracy; the caller decides what to keep.
 * @param {(fix: {lat: number, lng: number, accuracy: number, at: number}) => void} onFix
 * @param {() => void} onError
 * @returns {() => void}
 */
export function follow(onFix, onError) {
  if (!("geolocation" in navigator)) { onError(); return () => undefined; }
  const id = navigator.geolocation.watchPosition((position) => {
    const { latitude, longitude, accuracy } = position.coords;
    onFix({ lat: latitude, lng: longitude, accuracy, at: position.timestamp || Date.now() });
  }, onError, { enableHighAccuracy: true, timeout: 30_000, maximumAge: 5_000 });
  return () => navigator.geolocation.clearWatch(id);
}
