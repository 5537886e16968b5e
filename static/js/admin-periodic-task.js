// The crontab help of django-celery-beat's periodic-task admin form (its template's inline script,
// which our CSP blocks): the chosen schedule in words under the crontab field.
(function () {
  "use strict";
  var $ = django.jQuery;
  var readable = JSON.parse(document.getElementById("readable-crontabs").textContent);
  var help = $(".field-crontab .help");
  var original = help.html();
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    var words = readable[$("#id_crontab").val()];
    help.html(original).append($("<br>"), document.createTextNode("Translation: " + (words || "")));
  });
})();
