/* The public performance page: a horizontal bar chart of the complaints received per
   department, one per region shown (the table below carries the same numbers). */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var source = document.getElementById("complaint-charts");
  if (!source || !window.echarts) { return; }
  var charts = JSON.parse(source.textContent);
  var fontsReady = document.fonts && document.fonts.ready ? document.fonts.ready : Promise.resolve();
  fontsReady.then(function () {
    document.querySelectorAll(".performance-chart[data-index]").forEach(function (el) {
      var data = charts[Number(el.getAttribute("data-index"))];
      if (!data) { return; }
      el.style.height = Math.max(200, 40 + data.departments.length * 32) + "px";
      var chart = echarts.init(el);
      chart.setOption({
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: data.departments, inverse: true, axisLabel: { width: 140, overflow: "truncate" } },
        series: [{ type: "bar", data: data.complaints, itemStyle: { color: "#d4380d" }, label: { show: true, position: "right" } }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  });
});
