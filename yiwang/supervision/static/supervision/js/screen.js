/* The supervision big screen: fetches its figures every 30 seconds and draws them with
   ECharts (served from this site; nothing is loaded from elsewhere). The labels come
   translated in the JSON. */
(function () {
  "use strict";

  var COLOURS = {
    red: "#ff4d4f",
    yellow: "#fadb14",
    warning: "#fa8c16",
    suspended: "#8c9bb0",
    normal: "#36cfc9",
    late: "#d46b08",
    on_time: "#4096ff",
    intake: "#4096ff",
    completed: "#73d13d"
  };
  var TEXT = "#c9d6ea";
  var LINE = "rgba(201, 214, 234, 0.15)";

  var root = document.getElementById("screen");
  if (!root || !window.echarts) {
    return;
  }
  var url = root.getAttribute("data-url");
  var interval = parseInt(root.getAttribute("data-interval"), 10) || 30000;
  var charts = {
    lights: echarts.init(document.getElementById("chart-lights")),
    departments: echarts.init(document.getElementById("chart-departments")),
    trend: echarts.init(document.getElementById("chart-trend"))
  };

  function text(id, value) {
    var el = document.getElementById(id);
    if (el) {
      el.textContent = value;
    }
  }

  function count(data, key) {
    for (var i = 0; i < data.lights.length; i++) {
      if (data.lights[i].key === key) {
        return data.lights[i].count;
      }
    }
    return 0;
  }

  function axis(extra) {
    var base = {
      axisLabel: { color: TEXT, fontSize: 13 },
      axisLine: { lineStyle: { color: LINE } },
      splitLine: { lineStyle: { color: LINE } }
    };
    for (var k in extra) {
      base[k] = extra[k];
    }
    return base;
  }

  function draw(data) {
    text("as-of", data.as_of);
    text("kpi-running", data.running);
    text("kpi-intake", data.today.intake);
    text("kpi-completed", data.today.completed);
    text("kpi-yellow", count(data, "yellow"));
    text("kpi-red", count(data, "red"));

    charts.lights.setOption({
      tooltip: { trigger: "item" },
      legend: { bottom: 0, textStyle: { color: TEXT, fontSize: 13 }, itemWidth: 12, itemHeight: 12 },
      series: [
        {
          type: "pie",
          radius: ["42%", "68%"],
          center: ["50%", "44%"],
          label: { color: TEXT, formatter: "{b}\n{c}", fontSize: 13 },
          itemStyle: { borderColor: "#0b1a33", borderWidth: 2 },
          data: data.lights.map(function (l) {
            // A light no case shows stays in the legend but puts no label on the ring.
            var empty = l.count === 0;
            return {
              name: l.label,
              value: l.count,
              itemStyle: { color: COLOURS[l.key] },
              label: { show: !empty },
              labelLine: { show: !empty }
            };
          })
        }
      ]
    });

    var names = data.departments.names;
    charts.departments.setOption(
      {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0, textStyle: { color: TEXT, fontSize: 13 }, itemWidth: 12, itemHeight: 12 },
        grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
        xAxis: axis({ type: "value", minInterval: 1 }),
        yAxis: axis({
          type: "category",
          data: names.slice().reverse(),
          axisTick: { show: false },
          axisLabel: { color: TEXT, fontSize: 12, interval: 0 } // every department named
        }),
        series: data.departments.series.map(function (s) {
          return {
            name: s.label,
            type: "bar",
            stack: "cases",
            barMaxWidth: 22,
            itemStyle: { color: COLOURS[s.key] },
            data: s.data.slice().reverse()
          };
        })
      },
      true
    );

    charts.trend.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0, textStyle: { color: TEXT, fontSize: 13 } },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: axis({ type: "category", boundaryGap: false, data: data.trend.days }),
      yAxis: axis({ type: "value", minInterval: 1 }),
      series: data.trend.series.map(function (s) {
        return {
          name: s.label,
          type: "line",
          smooth: false,
          symbolSize: 5,
          lineStyle: { width: 2 },
          itemStyle: { color: COLOURS[s.key] },
          areaStyle: s.key === "intake" ? { opacity: 0.12 } : undefined,
          data: s.data
        };
      })
    });
  }

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        draw(data);
        document.getElementById("screen-error").hidden = true;
        root.setAttribute("data-loaded", "true");
      })
      .catch(function () {
        document.getElementById("screen-error").hidden = false;
      });
  }

  window.addEventListener("resize", function () {
    charts.lights.resize();
    charts.departments.resize();
    charts.trend.resize();
  });
  refresh();
  window.setInterval(refresh, interval);
})();
