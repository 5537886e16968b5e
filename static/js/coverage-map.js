/* The coverage map's tooltip: the figure of the desa under the pointer or keyboard focus, in a
   small box next to it (the SVG <title> and aria-label carry the same text for tap and screen
   readers). No inline script or style: positions are set through the CSSOM, which the CSP allows. */
(function () {
  "use strict";
  var figure = document.querySelector(".coverage-map");
  var tip = document.querySelector(".map-tip");
  var page = document.querySelector(".coverage-map-page");
  if (!figure || !tip || !page) { return; }

  function show(link, x, y) {
    tip.textContent = link.getAttribute("data-tip");
    tip.hidden = false;
    var box = page.getBoundingClientRect();
    var left = Math.min(x - box.left + 12, box.width - tip.offsetWidth - 4);
    tip.style.left = Math.max(0, left) + "px";
    tip.style.top = (y - box.top + 14) + "px";
  }
  function hide() { tip.hidden = true; }

  figure.addEventListener("mousemove", function (event) {
    var link = event.target.closest("a[data-tip]");
    if (link) { show(link, event.clientX, event.clientY); } else { hide(); }
  });
  figure.addEventListener("mouseleave", hide);
  figure.addEventListener("focusin", function (event) {
    var link = event.target.closest("a[data-tip]");
    if (!link) { return; }
    var r = link.getBoundingClientRect();
    show(link, r.left + r.width / 2, r.top + r.height / 2);
  });
  figure.addEventListener("focusout", hide);
  document.documentElement.classList.add("map-ready");
})();
