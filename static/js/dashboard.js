/*
 * Dashboard charts: the 0–10 distribution and the monthly NPS trend.
 * Data comes from the JSON block rendered by json_script (no inline script: the CSP forbids it).
 * The same figures are in the tables beside each chart, so the page works without this file.
 */
(function () {
  "use strict";

  // Fallbacks when staff.css is not loaded; the CSS custom properties are the source of truth.
  var FALLBACK_COLOURS = {
    critical: "#6a1a21",
    detractor: "#b02a37",
    passive: "#e0a800",
    promoter: "#146c43",
    trend: "#0a58ca",
    zero: "#495057"
  };
  var CRITICAL_MAX = 3;

  function cssColour(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name);
    return value && value.trim() ? value.trim() : fallback;
  }

  function colours() {
    return {
      critical: cssColour("--nps-chart-critical", FALLBACK_COLOURS.critical),
      detractor: cssColour("--nps-chart-detractor", FALLBACK_COLOURS.detractor),
      passive: cssColour("--nps-chart-passive", FALLBACK_COLOURS.passive),
      promoter: cssColour("--nps-chart-promoter", FALLBACK_COLOURS.promoter),
      trend: cssColour("--nps-chart-trend", FALLBACK_COLOURS.trend),
      zero: cssColour("--nps-chart-zero", FALLBACK_COLOURS.zero)
    };
  }

  function barColour(row, palette) {
    if (row.segment === "detractor") {
      return row.score <= CRITICAL_MAX ? palette.critical : palette.detractor;
    }
    return palette[row.segment] || palette.detractor;
  }

  function language() {
    return document.documentElement.lang || navigator.language || "en";
  }

  function monthLabel(iso) {
    // "2025-03-01" is a calendar month, not an instant: build it in local time.
    var parts = iso.split("-");
    var date = new Date(Number(parts[0]), Number(parts[1]) - 1, 1);
    try {
      return new Intl.DateTimeFormat(language(), { month: "short", year: "numeric" }).format(date);
    } catch (e) {
      return iso.slice(0, 7);
    }
  }

  function signed(value) {
    var rounded = Math.round(value);
    if (rounded === 0) {
      return "0";
    }
    return rounded > 0 ? "+" + rounded : "\u2212" + Math.abs(rounded);
  }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function drawDistribution(canvas, rows, palette) {
    var countLabel = canvas.dataset.labelCount || "Answers";
    var scoreLabel = canvas.dataset.labelScore || "Score";
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map(function (row) { return String(row.score); }),
        datasets: [
          {
            label: countLabel,
            data: rows.map(function (row) { return row.count; }),
            backgroundColor: rows.map(function (row) { return barColour(row, palette); }),
            borderWidth: 0
          }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion() ? false : undefined,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: function (items) { return scoreLabel + " " + items[0].label; }
            }
          }
        },
        scales: {
          x: { title: { display: true, text: scoreLabel }, grid: { display: false } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: countLabel } }
        }
      }
    });
  }

  function drawTrend(canvas, rows, palette) {
    var npsLabel = canvas.dataset.labelNps || "NPS";
    var noneLabel = canvas.dataset.labelNone || "no answers";
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: rows.map(function (row) { return monthLabel(row.month); }),
        datasets: [
          {
            label: npsLabel,
            // A month without answers has no score: null leaves a gap, never a fake zero.
            data: rows.map(function (row) { return row.nps === null ? null : row.nps; }),
            borderColor: palette.trend,
            backgroundColor: palette.trend,
            pointRadius: 4,
            pointHoverRadius: 6,
            tension: 0,
            spanGaps: false
          }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion() ? false : undefined,
        spanGaps: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (item) {
                var row = rows[item.dataIndex];
                if (row.nps === null) {
                  return noneLabel;
                }
                return npsLabel + " " + signed(row.nps) + " (n = " + row.n + ")";
              }
            }
          }
        },
        scales: {
          y: {
            min: -100,
            max: 100,
            ticks: {
              stepSize: 25,
              callback: function (value) { return signed(value); }
            },
            grid: {
              color: function (context) {
                return context.tick && context.tick.value === 0 ? palette.zero : "rgba(0, 0, 0, 0.1)";
              },
              lineWidth: function (context) {
                return context.tick && context.tick.value === 0 ? 2 : 1;
              }
            },
            title: { display: true, text: npsLabel }
          },
          x: { grid: { display: false } }
        }
      }
    });
  }

  function init() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") {
      return; // The data tables remain; nothing else to do.
    }
    var data;
    try {
      data = JSON.parse(source.textContent);
    } catch (e) {
      return;
    }
    var palette = colours();
    var distributionCanvas = document.getElementById("distribution-chart");
    if (distributionCanvas && Array.isArray(data.distribution)) {
      drawDistribution(distributionCanvas, data.distribution, palette);
    }
    var trendCanvas = document.getElementById("trend-chart");
    if (trendCanvas && Array.isArray(data.trend)) {
      drawTrend(trendCanvas, data.trend, palette);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
