/* The performance report pages: the dashboard's twelve-month trend (bars of cases
   received and completed, a line of the on-time rate, cards and complaints) and the
   summary's complaints per department. Data come from json_script elements. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (!window.echarts) { return; }

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // Drawn once the page's fonts are in, so labels are measured in the CJK font they
  // are shown in; a scrolling legend never wraps onto the chart on a phone.
  var fontsReady = document.fonts && document.fonts.ready ? document.fonts.ready : Promise.resolve();

  function draw(el, option) {
    fontsReady.then(function () {
      var chart = echarts.init(el);
      chart.setOption(option);
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  var trendEl = document.getElementById("trend-chart");
  var trend = data("trend-data");
  if (trendEl && trend) {
    var n = trend.names;
    draw(trendEl, {
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: trend.months, axisLabel: { hideOverlap: true } },
      yAxis: [
        { type: "value", minInterval: 1 },
        { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { show: false } }
      ],
      series: [
        { name: n.received, type: "bar", data: trend.received, itemStyle: { color: "#8cb4e8" } },
        { name: n.completed, type: "bar", data: trend.completed, itemStyle: { color: "#1f5fbf" } },
        { name: n.on_time_rate, type: "line", yAxisIndex: 1, data: trend.on_time_rate, connectNulls: false,
          itemStyle: { color: "#2e7d32" } },
        { name: n.cards, type: "line", data: trend.cards, itemStyle: { color: "#fa8c16" } },
        { name: n.complaints, type: "line", data: trend.complaints, itemStyle: { color: "#d4380d" } }
      ]
    });
  }

  var complaintEl = document.getElementById("complaint-chart");
  var complaints = data("complaint-data");
  if (complaintEl && complaints) {
    complaintEl.style.height = Math.max(120, 40 + complaints.departments.length * 36) + "px";
    var labelWidth = Math.min(150, Math.round(complaintEl.clientWidth * 0.35));
    draw(complaintEl, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: complaints.departments, inverse: true,
               axisLabel: { width: labelWidth, overflow: "break" } },
      series: [{ name: complaints.name, type: "bar", data: complaints.complaints,
                 barMaxWidth: 24, itemStyle: { color: "#d4380d" }, label: { show: true, position: "right" } }]
    });
  }
});
