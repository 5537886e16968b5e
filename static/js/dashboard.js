/* Staff dashboard: small improvements on top of plain forms. Every page works without this file.
   Loaded as a static file (the CSP forbids inline scripts). */
(function () {
  "use strict";

  // After htmx replaced the page's <main>, move the focus to what changed: the first message
  // (screen readers read it out) or the heading, and keep the scan box ready for the next code.
  document.addEventListener("htmx:afterSettle", function () {
    var main = document.getElementById("main");
    if (!main) { return; }
    var scan = main.querySelector("input[data-scan]");
    var target = main.querySelector(".messages") || main.querySelector("h1");
    if (target) {
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
    if (scan) { scan.focus(); }
  });

  // A request htmx could not complete (403, 404, network): fall back to a normal form submission,
  // so the server's error page or message is shown instead of nothing happening.
  document.addEventListener("htmx:responseError", function (event) {
    var form = event.detail.elt;
    if (form && form.tagName === "FORM") {
      form.removeAttribute("hx-post");
      form.submit();
    }
  });
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt;
    if (form && form.tagName === "FORM") { form.submit(); }
  });

  // The scan box: select what is in it when focused, so the next scan replaces the last code.
  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input && input.matches && input.matches("input[data-scan]")) { input.select(); }
  });
})();
