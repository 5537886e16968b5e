/* The citizens filter: the desa select offers only the desa of the chosen kecamatan (the server
   narrows it the same way on the next page load). The desa → kecamatan map comes as JSON. */
(function () {
  "use strict";
  var data = document.getElementById("desa-kecamatan");
  var kecamatan = document.getElementById("id_kecamatan");
  var desa = document.getElementById("id_desa");
  if (!data || !kecamatan || !desa) { return; }
  var parentOf = JSON.parse(data.textContent);
  function follow() {
    var chosen = kecamatan.value;
    Array.prototype.forEach.call(desa.options, function (option) {
      var hide = Boolean(option.value) && Boolean(chosen) && parentOf[option.value] !== chosen;
      option.hidden = hide;
      option.disabled = hide;
    });
    if (desa.selectedOptions.length && desa.selectedOptions[0].disabled) { desa.value = ""; }
  }
  kecamatan.addEventListener("change", follow);
  follow();
})();
