// @ts-check
// Owns the patrol map: the track, the plan's checkpoints (their geofences, green when checked)
// and where each check-in was made (the base layers: map-base.js).
import { baseMap, plain } from "./map-base.js";

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
  const { L, map } = await baseMap(doc, box);
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
