// The admin's report charts: reads the series the page embeds (json_script
// "chart-data") and draws them with the bundled Chart.js, bars and a line on
// one time axis. Sets window.chartReady when drawn (the browser test waits on it).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var colours = ["#2563eb", "#16a34a", "#dc2626", "#9333ea"];
  var datasets = data.series.map(function (series, index) {
    var colour = colours[index % colours.length];
    return {
      type: series.kind,
      label: series.label,
      data: series.values,
      borderColor: colour,
      backgroundColor: series.kind === "line" ? colour : colour + "99",
      borderWidth: series.kind === "line" ? 2 : 1,
      pointRadius: series.kind === "line" ? 2 : 0,
      tension: 0,
      order: series.kind === "line" ? 0 : 1,
    };
  });
  var chart = new Chart(document.getElementById("chart"), {
    data: { labels: data.labels, datasets: datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { ticks: { maxRotation: 0, autoSkip: true } },
        y: { beginAtZero: true, ticks: { precision: 0 } },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
  window.reportChart = chart;
  window.chartReady = true;
})();
