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

  // htmx does not swap error responses. A refusal (403, 404, 409…) is shown by submitting the form
  // the plain way, so the server's own page or message appears; a server or network failure (the
  // action may or may not have happened) is reported without sending it again.
  function report(text) {
    var main = document.getElementById("main");
    if (!main) { return; }
    var note = document.createElement("p");
    note.className = "message error";
    note.setAttribute("role", "alert");
    note.textContent = text;
    main.insertBefore(note, main.firstChild);
  }
  function errorText() {
    var meta = document.querySelector("meta[name=dashboard-error]");
    return meta ? meta.getAttribute("content") : "Error";
  }
  document.addEventListener("htmx:responseError", function (event) {
    var form = event.detail.elt;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (form && form.tagName === "FORM" && status >= 400 && status < 500) {
      form.submit();
    } else {
      report(errorText());
    }
  });
  document.addEventListener("htmx:sendError", function () { report(errorText()); });

  // The scan box: select what is in it when focused, so the next scan replaces the last code.
  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input && input.matches && input.matches("input[data-scan]")) { input.select(); }
  });
})();
