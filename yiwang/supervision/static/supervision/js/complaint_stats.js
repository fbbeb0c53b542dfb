/* The complaint statistics page: one bar chart of departments, stacked by outcome. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var el = document.getElementById("department-chart");
  if (!el || !window.echarts) { return; }
  var data = JSON.parse(document.getElementById("department-chart-data").textContent);
  var colours = { substantiated: "#d4380d", not_substantiated: "#8c9bb0", answered: "#4096ff", open: "#fa8c16" };
  el.style.height = Math.max(220, 60 + data.departments.length * 36) + "px";
  // Drawn once the page's fonts are in, so the legend is measured in the CJK font it is
  // shown in; a scrolling legend never wraps onto the bars on a phone.
  var fontsReady = document.fonts && document.fonts.ready ? document.fonts.ready : Promise.resolve();
  fontsReady.then(function () {
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.departments, inverse: true },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "total", data: s.data, itemStyle: { color: colours[s.key] } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
