/* The statistics page: the period fields that fit the kind chosen, and one chart of the
   groups (volume bars, on-time rate line). */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var form = document.getElementById("stats-form");
  var kind = document.getElementById("id_kind");
  if (form && kind) {
    var show = function () { form.setAttribute("data-kind", kind.value); };
    kind.addEventListener("change", show);
    show();
  }
  var el = document.getElementById("stats-chart");
  var source = document.getElementById("stats-chart-data");
  if (!el || !source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var colours = { received: "#4096ff", accepted: "#36cfc9", refused: "#8c9bb0", completed: "#52c41a", late: "#d4380d" };
  var fontsReady = document.fonts && document.fonts.ready ? document.fonts.ready : Promise.resolve();
  fontsReady.then(function () {
    var chart = echarts.init(el);
    var series = data.series.map(function (s) {
      return { name: s.name, type: "bar", data: s.data, itemStyle: { color: colours[s.key] } };
    });
    series.push({ name: data.rate.name, type: "line", yAxisIndex: 1, data: data.rate.data, connectNulls: false, itemStyle: { color: "#fa8c16" } });
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
