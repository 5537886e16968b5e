/* Overview charts: reads the JSON the page embeds with json_script (#overview-chart-data) and draws
   it with the vendored Chart.js. Without JavaScript the tables next to each chart carry the same
   figures; with it, the trend table is folded away under its <summary>. No inline script (CSP). */
(function () {
  "use strict";
  var source = document.getElementById("overview-chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  if (!data) {
    return;
  }
  var lang = document.documentElement.lang || "id";
  var locale = lang === "en" ? "en-GB" : "id-ID";
  var brand = "#0b5394";
  var pemula = "#1a7f37";
  var highlight = "#b45309";
  var target = "#b42318";

  function percent(value) {
    return value === null || value === undefined
      ? "–"
      : new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value) + "%";
  }
  function count(value) {
    return new Intl.NumberFormat(locale).format(value);
  }

  Chart.defaults.animation = false;
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

  var trendCanvas = document.querySelector("canvas[data-chart=trend]");
  if (trendCanvas && data.trend) {
    var colours = [brand, pemula];
    var datasets = data.trend.series.map(function (series, index) {
      return {
        label: series.label,
        data: series.data,
        borderColor: colours[index % colours.length],
        backgroundColor: colours[index % colours.length],
        tension: 0.2,
        spanGaps: true,
      };
    });
    datasets.push({
      label: data.trend.target_label,
      data: data.trend.labels.map(function () { return data.trend.target; }),
      borderColor: target,
      borderDash: [6, 4],
      pointRadius: 0,
      borderWidth: 1,
    });
    new Chart(trendCanvas, {
      type: "line",
      data: { labels: data.trend.labels, datasets: datasets },
      options: {
        locale: locale,
        maintainAspectRatio: false,
        scales: {
          y: { suggestedMax: 100, ticks: { callback: function (v) { return count(v) + "%"; } } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (ctx) { return ctx.dataset.label + ": " + percent(ctx.parsed.y); },
            },
          },
        },
      },
    });
  }

  var gapCanvas = document.querySelector("canvas[data-chart=gap]");
  if (gapCanvas && data.gap) {
    var colors = data.gap.highlight.map(function (own) { return own ? highlight : brand; });
    new Chart(gapCanvas, {
      type: "bar",
      data: {
        labels: data.gap.labels,
        datasets: [{ label: data.gap.label, data: data.gap.data, backgroundColor: colors }],
      },
      options: {
        locale: locale,
        indexAxis: "y",
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (ctx) { return data.gap.label + ": " + count(ctx.parsed.x); },
            },
          },
        },
        scales: { x: { beginAtZero: true, ticks: { precision: 0, callback: function (v) { return count(v); } } } },
      },
    });
  }

  // The charts are drawn: fold the trend table (still one click away for screen readers).
  document.querySelectorAll("details[data-chart-table]").forEach(function (details) {
    details.removeAttribute("open");
  });
  document.documentElement.classList.add("charts-drawn");
})();
