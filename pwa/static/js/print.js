// @ts-check
// A print button (a QR sheet, an assignment sheet, a bulletin): no inline handlers under the
// CSP. The printable pages load this module alone; app.js loads it for the others.

/** @param {Document} doc */
export function watchPrintButtons(doc) {
  doc.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("[data-print]")) window.print();
  });
}

if (document.body?.classList.contains("sheet")) watchPrintButtons(document);
