// The printed queue ticket (issue 14). Opened from the desk's print button with ?print=1: print at
// once, then close the tab the button opened, so the desk is one action from a printed ticket.
// No inline script (strict CSP).
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
  if (new URLSearchParams(window.location.search).get("print") !== "1") { return; }
  window.addEventListener("afterprint", function () { if (window.opener) { window.close(); } });
  window.addEventListener("load", function () { window.print(); });
}());
