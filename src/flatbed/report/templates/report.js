// Draw the charts listed in #flatbed-charts with the inlined Plotly (no network).
// The first few draw at once; the rest draw as they come near the viewport (a fleet report can
// hold hundreds), and all of them before printing. window.flatbedChartsDrawn counts drawn charts;
// window.flatbedDrawAll() draws the rest now.
(function () {
  "use strict";
  var charts = JSON.parse(document.getElementById("flatbed-charts").textContent);
  var config = JSON.parse(document.getElementById("flatbed-plotly-config").textContent);
  var EAGER = 12;
  var byId = {};
  window.flatbedChartsDrawn = 0;
  window.flatbedChartsTotal = charts.length;
  if (typeof window.Plotly === "undefined") { return; }
  function draw(c) {
    if (c.drawn) { return; }
    var el = document.getElementById(c.id);
    if (!el) { return; }
    c.drawn = true;
    window.Plotly.newPlot(el, c.figure.data, c.figure.layout, config);
    window.flatbedChartsDrawn += 1;
  }
  function drawAll() { charts.forEach(draw); }
  window.flatbedDrawAll = drawAll;
  charts.forEach(function (c, i) {
    byId[c.id] = c;
    // reserve each chart's height so lazy drawing does not shift the page
    var el = document.getElementById(c.id);
    if (el && c.figure.layout && c.figure.layout.height) {
      el.style.minHeight = c.figure.layout.height + "px";
    }
    if (i < EAGER) { draw(c); }
  });
  if ("IntersectionObserver" in window) {
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting && byId[e.target.id]) { draw(byId[e.target.id]); io.unobserve(e.target); }
      });
    }, { rootMargin: "800px 0px" });
    charts.forEach(function (c) {
      var el = document.getElementById(c.id);
      if (el && !c.drawn) { io.observe(el); }
    });
  } else {
    drawAll();
  }
  window.addEventListener("beforeprint", function () {
    drawAll();
    charts.forEach(function (c) {
      var el = document.getElementById(c.id);
      if (el) { window.Plotly.Plots.resize(el); }
    });
  });
})();
