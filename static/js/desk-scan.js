// Camera scanning of booking QR codes on the check-in desk (issue 14). The browser's
// BarcodeDetector where it exists (Android, ChromeOS, macOS), else the vendored jsQR decoder on
// frames drawn to a canvas. A code found is typed into the scan box and the look-up is submitted,
// as a USB scanner would. No inline script or style: this file is served from 'self' (strict CSP).
(function () {
  "use strict";
  var CODE = /^[2-9A-HJ-NP-Z]{8}$/i;
  var running = null;

  function stop() {
    if (!running) { return; }
    running.stopped = true;
    running.stream.getTracks().forEach(function (track) { track.stop(); });
    if (running.video) { running.video.srcObject = null; running.video.remove(); }
    if (running.box) { running.box.hidden = true; }
    running = null;
  }

  function found(raw) {
    var text = String(raw || "").trim().toUpperCase();
    if (!CODE.test(text)) { return false; }
    var form = document.querySelector("form.scan-form");
    var input = form && form.querySelector("input[name=code]");
    if (!input) { return false; }
    stop();
    input.value = text;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    return true;
  }

  function decoder() {
    if ("BarcodeDetector" in window) {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return function (video) {
        return detector.detect(video).then(function (codes) {
          return codes.length ? codes[0].rawValue : null;
        });
      };
    }
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    return function (video) {
      if (!window.jsQR || !video.videoWidth) { return Promise.resolve(null); }
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      return Promise.resolve(code ? code.data : null);
    };
  }

  function loop(state, decode) {
    if (state.stopped) { return; }
    decode(state.video).then(function (text) {
      if (!state.stopped && !(text && found(text))) { window.setTimeout(function () { loop(state, decode); }, 150); }
    }, function () {
      if (!state.stopped) { window.setTimeout(function () { loop(state, decode); }, 300); }
    });
  }

  function start(button) {
    var box = document.getElementById("camera-box");
    var slot = box && box.querySelector(".camera-slot");
    var status = box && box.querySelector("[data-camera-status]");
    if (!slot || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      if (status) { status.textContent = button.dataset.noCamera || ""; }
      if (box) { box.hidden = false; }
      return;
    }
    stop();
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        // The <video> exists only while scanning, so an htmx swap never carries a playing one.
        var video = document.createElement("video");
        video.className = "camera-video";
        video.setAttribute("aria-label", slot.dataset.cameraLabel || "");
        slot.appendChild(video);
        box.hidden = false;
        video.srcObject = stream;
        video.setAttribute("playsinline", "");
        video.muted = true;
        return video.play().then(function () {
          running = { stream: stream, video: video, box: box, stopped: false };
          box.dataset.decoder = "BarcodeDetector" in window ? "BarcodeDetector" : "jsQR";
          loop(running, decoder());
        });
      })
      .catch(function () {
        box.hidden = false;
        if (status) { status.textContent = button.dataset.noCamera || ""; }
      });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-scan-camera]");
    if (button) { event.preventDefault(); start(button); return; }
    if (event.target.closest && event.target.closest("[data-scan-stop]")) { event.preventDefault(); stop(); }
  });
  // htmx replaces <main> after each action: the old video is gone, so release the camera.
  document.addEventListener("htmx:beforeSwap", stop);
})();
