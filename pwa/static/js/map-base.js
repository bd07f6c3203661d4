// @ts-check
// What every map of the app shares: Leaflet and its CSS loaded on the first page that draws a
// map (precached, so it works offline), the configured tiles (天地图 or another, from
// MAP_TILE_URL) over a plain grid that is always there (no tiles configured, no key, or no
// signal: the shapes keep their meaning and the scale bar its), and a tooltip as plain text.

/**
 * A Leaflet map in `box`, with the base layers the box's data-tiles names.
 * @param {Document} doc @param {HTMLElement} box
 * @returns {Promise<{L: any, map: any}>}
 */
export async function baseMap(doc, box) {
  const L = await leaflet(doc);
  const tiles = box.dataset.tiles || "";
  const map = L.map(box, { attributionControl: Boolean(tiles) });
  plainGrid(L).addTo(map);
  if (tiles) {
    L.tileLayer(tiles, { subdomains: box.dataset.subdomains || "abc", attribution: box.dataset.attribution || "", maxZoom: 18 }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  return { L, map };
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

/** A light grid of tiles under everything. @param {any} L */
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
export function plain(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span;
}
