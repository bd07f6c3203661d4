// @ts-check
// Owns the patrol map: the track, the plan's checkpoints (their geofences, green when checked)
// and where each check-in was made, on the configured tiles or, with none (a closed network,
// no key), on a plain grid with a scale bar. Leaflet and its CSS load only on a page with a map.

/** @param {Document} doc */
export function watchTrackMaps(doc) {
  doc.addEventListener("htmx:load", () => draw(doc));
  draw(doc);
}

/** @param {Document} doc */
async function draw(doc) {
  const box = doc.querySelector("[data-track-map]");
  if (!(box instanceof HTMLElement) || box.dataset.ready) return;
  box.dataset.ready = "1";
  const L = await leaflet(doc);
  const tiles = box.dataset.tiles || "";
  const map = L.map(box, { attributionControl: Boolean(tiles) });
  if (tiles) {
    L.tileLayer(tiles, { subdomains: box.dataset.subdomains || "abc", attribution: box.dataset.attribution || "", maxZoom: 18 }).addTo(map);
  } else {
    plainGrid(L).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  const layers = [];
  // the bounds from the data: a circle knows its own only once the map has a view
  const bounds = L.latLngBounds([]);
  /** @type {[number, number][]} */
  const track = JSON.parse(box.dataset.track || "[]");
  for (const fix of track) bounds.extend(fix);
  if (track.length) layers.push(L.polyline(track, { color: "#c62828", weight: 4, className: "track-line" }));
  for (const p of JSON.parse(box.dataset.checkpoints || "[]")) {
    bounds.extend(L.latLng(p.lat, p.lng).toBounds(p.radius * 2));
    layers.push(L.circle([p.lat, p.lng], { radius: p.radius, color: p.done ? "#2e7d32" : "#757575", className: "track-checkpoint" })
      .bindTooltip(plain(p.name)));
  }
  for (const c of JSON.parse(box.dataset.checkins || "[]")) {
    bounds.extend([c.lat, c.lng]);
    layers.push(L.circleMarker([c.lat, c.lng], { radius: 6, color: c.flagged ? "#ef6c00" : "#1565c0", className: "track-checkin" })
      .bindTooltip(plain(c.name)));
  }
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 18 });
  else map.setView([35, 105], 4);
  L.featureGroup(layers).addTo(map);
  box.dataset.drawn = String(layers.length);
}

/** @param {Document} doc @returns {Promise<any>} */
async function leaflet(doc) {
  if (!doc.querySelector("link[data-leaflet]")) {
    const css = doc.createElement("link");
    css.rel = "stylesheet";
    css.href = new URL("../vendor/leaflet-1.9.4/leaflet.css", import.meta.url).href;
    css.dataset.leaflet = "";
    doc.head.append(css);
  }
  // a UMD file: imported as a module it sets globalThis.L
  await import("../vendor/leaflet-1.9.4/leaflet.js");
  return /** @type {any} */ (globalThis).L;
}

/** A light grid of tiles: the track keeps its shape and the scale bar its meaning. @param {any} L */
function plainGrid(L) {
  const Grid = L.GridLayer.extend({
    createTile() {
      const tile = document.createElement("canvas");
      const size = this.getTileSize();
      tile.width = size.x;
      tile.height = size.y;
      const context = /** @type {CanvasRenderingContext2D} */ (tile.getContext("2d"));
      context.fillStyle = "#f4f4f0";
      context.fillRect(0, 0, size.x, size.y);
      context.strokeStyle = "#d8d8d0";
      for (let at = 0; at <= size.x; at += size.x / 4) {
        context.beginPath(); context.moveTo(at, 0); context.lineTo(at, size.y); context.stroke();
        context.beginPath(); context.moveTo(0, at); context.lineTo(size.x, at); context.stroke();
      }
      return tile;
    },
  });
  return new Grid({ className: "plain-grid" });
}

/**
 * A tooltip's content as text: Leaflet reads a string as HTML, and a place's name comes from
 * a CSV anyone in the back office may import.
 * @param {string} text
 * @returns {HTMLElement}
 */
function plain(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span;
}
