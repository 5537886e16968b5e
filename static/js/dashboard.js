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
  // Logging out deletes this browser's site data (Clear-Site-Data), the offline desk's actions not
  // yet synced included (IndexedDB "kudus-desk", store "queue"). From any page, count them first and
  // ask before deleting them. The desk's own page syncs before it submits the logout again.
  function waitingDeskActions() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(0); return; }
      var request = window.indexedDB.open("kudus-desk");
      request.onupgradeneeded = function () {
        request.transaction.abort(); // no desk database here: do not create one
      };
      request.onerror = function () { resolve(0); };
      request.onsuccess = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("queue")) { db.close(); resolve(0); return; }
        var count = db.transaction("queue", "readonly").objectStore("queue").count();
        count.onsuccess = function () { db.close(); resolve(count.result); };
        count.onerror = function () { db.close(); resolve(0); };
      };
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-logout]") || form.dataset.confirmed) { return; }
    if (document.getElementById("desk") && !form.dataset.synced) { return; } // the desk syncs first
    event.preventDefault();
    waitingDeskActions().then(function (waiting) {
      var message = form.dataset.unsynced.replace("%(count)s", String(waiting));
      if (waiting === 0 || window.confirm(message)) {
        form.dataset.confirmed = "1";
        form.requestSubmit();
      }
    });
  });
})();
