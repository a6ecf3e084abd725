// Draw every chart listed in #flatbed-charts with the inlined Plotly (no network).
(function () {
  "use strict";
  var charts = JSON.parse(document.getElementById("flatbed-charts").textContent);
  var config = JSON.parse(document.getElementById("flatbed-plotly-config").textContent);
  if (typeof window.Plotly === "undefined") { return; }
  charts.forEach(function (c) {
    var el = document.getElementById(c.id);
    if (el) { window.Plotly.newPlot(el, c.figure.data, c.figure.layout, config); }
  });
  window.flatbedChartsDrawn = charts.length;
  window.addEventListener("beforeprint", function () {
    charts.forEach(function (c) {
      var el = document.getElementById(c.id);
      if (el) { window.Plotly.Plots.resize(el); }
    });
  });
})();
