// The printed queue ticket (issue 14). Opened from the desk's print button with ?print=1 (in a new
// tab): print at once, so the desk is one action from a printed ticket. The tab is not closed by
// script: "afterprint" also follows a print to PDF or a cancelled dialog.
// No inline script (strict CSP).
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
  if (new URLSearchParams(window.location.search).get("print") !== "1") { return; }
  window.addEventListener("load", function () { window.print(); });
}());
