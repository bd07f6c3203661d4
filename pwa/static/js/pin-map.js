// @ts-check
// The draggable pin of a location box (geo_box with pin=true): it shows where the GPS fix put
// the report, and a person drags it (or taps the map) where the hazard really is. What the
// form stores is the pin's position, with the accuracy of a pin placed by hand at that zoom.
// Without a fix the map opens on the grid's centre.
import { askNearby, text } from "./geo.js";
import { baseMap } from "./map-base.js";

/** metres a pin placed by hand may be off: ten screen pixels at the map's zoom */
const HAND_PIXELS = 10;

/** @param {Document} doc */
export function watchPinMaps(doc) {
  doc.addEventListener("gw:located", (event) => {
    if (event.target instanceof Element) show(doc, event.target, false);
  });
  // a form that only stores a position (the hazard page's) offers to save once it moved
  for (const name of ["gw:located", "gw:pinned"]) {
    doc.addEventListener(name, (event) => {
      const form = event.target instanceof Element ? event.target.closest("form") : null;
      form?.querySelectorAll("[data-on-move]").forEach((el) => el.removeAttribute("hidden"));
    });
  }
  doc.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-pin-open]") : null;
    const box = button?.closest("[data-geo]");
    if (box) show(doc, box, true);
  });
  const known = (/** @type {ParentNode} */ root) => {
    for (const box of root.querySelectorAll("[data-geo]:has([data-pin-map])")) {
      const lat = box.querySelector("input[name$='lat']");
      if (lat instanceof HTMLInputElement && lat.value) show(doc, box, false);
    }
  };
  known(doc);
  doc.addEventListener("htmx:load", (event) => {
    if (event.target instanceof Element) known(event.target);
  });
}

/** @type {WeakMap<Element, Promise<{map: any, pin: any, ring: any}>>} */
const drawn = new WeakMap();

/**
 * @param {Document} doc @param {Element} box
 * @param {boolean} byHand the person asked for the map (no fix: the grid's centre)
 */
async function show(doc, box, byHand) {
  const el = box.querySelector("[data-pin-map]");
  if (!(el instanceof HTMLElement)) return;
  const prefix = box.getAttribute("data-geo-prefix") || "";
  const input = (/** @type {string} */ name) => {
    const found = box.querySelector(`input[name="${prefix}${name}"]`);
    return found instanceof HTMLInputElement ? found : null;
  };
  const lat = parseFloat(input("lat")?.value || "");
  const lng = parseFloat(input("lng")?.value || "");
  const accuracy = parseFloat(input("accuracy")?.value || "") || 0;
  const fixed = Number.isFinite(lat) && Number.isFinite(lng);
  const center = (el.dataset.center || "").split(",").map(Number);
  if (!fixed && !byHand) return;
  el.hidden = false;
  let making = drawn.get(el);
  if (!making) {
    making = draw(doc, el, box, input, fixed ? null : center);
    drawn.set(el, making);
  }
  const { map, pin, ring } = await making;
  if (fixed) {
    pin.setLatLng([lat, lng]).addTo(map);
    ring.setLatLng([lat, lng]).setRadius(Math.max(accuracy, 3)).addTo(map);
    map.setView([lat, lng], Math.max(map.getZoom() || 0, 17));
    delete el.dataset.unset;
  } else if (byHand) {
    const status = box.querySelector("[data-geo-status]");
    if (status) status.textContent = text(box, "tap");
  }
  map.invalidateSize();
  el.dataset.drawn = "1";
}

/**
 * The map with its pin and the ring of its accuracy; a tap or a drag places the pin.
 * @param {Document} doc @param {HTMLElement} el @param {Element} box
 * @param {(name: string) => HTMLInputElement | null} input
 * @param {number[] | null} center where to open without a fix (the grid's centre)
 */
async function draw(doc, el, box, input, center) {
  const { L, map } = await baseMap(doc, el);
  const icon = L.divIcon({ className: "pin", iconSize: [44, 44], iconAnchor: [22, 33] });
  const pin = L.marker([0, 0], { draggable: true, icon, keyboard: true, autoPan: true });
  const ring = L.circle([0, 0], { radius: 1, color: "#1565c0", weight: 1, fillOpacity: 0.08, interactive: false });
  const place = (/** @type {any} */ at) => {
    pin.setLatLng(at).addTo(map);
    ring.setLatLng(at).addTo(map);
    // metres per pixel at this zoom and latitude (Web Mercator), times a hand's slack
    const perPixel = 156543.03 * Math.cos(at.lat * Math.PI / 180) / 2 ** map.getZoom();
    const metres = Math.max(3, Math.round(perPixel * HAND_PIXELS));
    ring.setRadius(metres);
    write(box, input, at.lat, at.lng, metres);
  };
  pin.on("dragend", () => place(pin.getLatLng()));
  map.on("click", (/** @type {any} */ event) => place(event.latlng));
  if (center) {
    const start = center.length === 2 && center.every(Number.isFinite) ? center : [30.27, 120.15];
    map.setView(start, 16);
    el.dataset.unset = "1"; // nothing placed yet: a tap on the map places the pin
  }
  return { map, pin, ring };
}

/**
 * @param {Element} box @param {(name: string) => HTMLInputElement | null} input
 * @param {number} lat @param {number} lng @param {number} metres
 */
function write(box, input, lat, lng, metres) {
  const set = (/** @type {string} */ name, /** @type {string} */ value) => {
    const el = input(name);
    if (!el) return;
    el.value = value;
    el.dispatchEvent(new Event("change", { bubbles: true })); // a kept draft follows the pin
  };
  set("lat", lat.toFixed(6));
  set("lng", lng.toFixed(6));
  set("accuracy", String(metres));
  const status = box.querySelector("[data-geo-status]");
  if (status) status.textContent = text(box, "pinned").replace("%(m)s", String(metres));
  box.setAttribute("data-pinned", "1");
  const map = box.querySelector("[data-pin-map]");
  if (map instanceof HTMLElement) delete map.dataset.unset;
  box.dispatchEvent(new CustomEvent("gw:pinned", { bubbles: true }));
  askNearby(box.closest("form"));
}
