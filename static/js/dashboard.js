/*
 * Dashboard charts: the 0–10 distribution and the NPS trend with its margin of error.
 * Data comes from the JSON block rendered by json_script (no inline script: the CSP forbids it);
 * colours from CSS custom properties in staff.css; words from data- attributes, so they are
 * translated with the page. The same figures are in the tables beside each chart, so the page
 * works without this file.
 */
(function () {
  "use strict";

  // Fallbacks when staff.css is not loaded; the CSS custom properties are the source of truth.
  var FALLBACK_COLOURS = {
    critical: "#6a1a21",
    detractor: "#b02a37",
    passive: "#b07d00",
    promoter: "#146c43",
    trend: "#0a58ca",
    band: "rgba(10, 88, 202, 0.16)",
    zero: "#495057",
    grid: "rgba(0, 0, 0, 0.1)",
    text: "#595f66"
  };

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
      band: cssColour("--nps-chart-band", FALLBACK_COLOURS.band),
      zero: cssColour("--nps-chart-zero", FALLBACK_COLOURS.zero),
      grid: cssColour("--nps-chart-grid", FALLBACK_COLOURS.grid),
      text: cssColour("--nps-chart-text", FALLBACK_COLOURS.text)
    };
  }

  function language() {
    return document.documentElement.lang || navigator.language || "en";
  }

  function numberFormat(digits) {
    try {
      return new Intl.NumberFormat(language(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
    } catch (e) {
      return { format: function (value) { return value.toFixed(digits); } };
    }
  }

  var oneDecimal = numberFormat(1);
  var noDecimal = numberFormat(0);

  function signed(value) {
    var rounded = Math.round(value);
    if (rounded === 0) {
      return "0";
    }
    return rounded > 0 ? "+" + rounded : "\u2212" + Math.abs(rounded);
  }

  function percent(value) {
    return value === null || value === undefined ? "\u2014" : noDecimal.format(value) + "\u00a0%";
  }

  function localDate(iso) {
    // "2025-03-01" is a calendar day, not an instant: build it in local time.
    var parts = iso.split("-");
    return new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2] || 1));
  }

  function dateLabel(iso, options) {
    try {
      return new Intl.DateTimeFormat(language(), options).format(localDate(iso));
    } catch (e) {
      return iso;
    }
  }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function segmentKey(row) {
    return row.critical ? "critical" : row.segment;
  }

  function drawDistribution(canvas, rows, palette) {
    var labels = canvas.dataset;
    var countLabel = labels.labelCount || "Answers";
    var scoreLabel = labels.labelScore || "Score";
    var segmentLabels = {
      critical: labels.labelCritical || "critical detractor",
      detractor: labels.labelDetractor || "detractor",
      passive: labels.labelPassive || "passive",
      promoter: labels.labelPromoter || "promoter"
    };
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map(function (row) { return String(row.score); }),
        datasets: [
          {
            label: countLabel,
            data: rows.map(function (row) { return row.count; }),
            backgroundColor: rows.map(function (row) { return palette[segmentKey(row)] || palette.detractor; }),
            borderWidth: 0
          }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion() ? false : undefined,
        plugins: {
          legend: { display: false }, // The legend is HTML above the chart, with the critical shade named.
          tooltip: {
            callbacks: {
              title: function (items) {
                var row = rows[items[0].dataIndex];
                return scoreLabel + " " + row.score + " (" + segmentLabels[segmentKey(row)] + ")";
              },
              label: function (item) { return countLabel + ": " + item.formattedValue; }
            }
          }
        },
        scales: {
          x: { title: { display: true, text: scoreLabel }, grid: { display: false } },
          y: {
            beginAtZero: true,
            ticks: { precision: 0 },
            grid: { color: palette.grid },
            title: { display: true, text: countLabel }
          }
        }
      }
    });
  }

  function clamp(value) {
    return Math.max(-100, Math.min(100, value));
  }

  function bound(row, sign) {
    // A period without answers has no score and no band: null leaves a gap, never a fake zero.
    if (row.nps === null || row.margin === null) {
      return null;
    }
    return clamp(row.nps + sign * row.margin);
  }

  function trendWords(canvas) {
    var labels = canvas.dataset;
    return {
      weekly: labels.grain === "week",
      nps: labels.labelNps || "NPS",
      margin: labels.labelMargin || "95 % margin of error",
      promoters: labels.labelPromoters || "% promoters",
      detractors: labels.labelDetractors || "% detractors",
      share: labels.labelShare || "Share of answers",
      none: labels.labelNone || "no answers",
      partial: labels.labelPartial || "(partial)",
      small: labels.labelSmall || "small sample",
      week: labels.labelWeek || "Week of"
    };
  }

  function axisLabel(words, row) {
    var text = words.weekly
      ? dateLabel(row.start, { day: "numeric", month: "short" })
      : dateLabel(row.start, { month: "short", year: "2-digit" });
    // A period not over yet says so on the axis itself, not only in a tooltip.
    return row.partial ? [text, words.partial] : text;
  }

  function titleLabel(words, row) {
    var text = words.weekly
      ? words.week + " " + dateLabel(row.start, { day: "numeric", month: "long", year: "numeric" })
      : dateLabel(row.start, { month: "long", year: "numeric" });
    return row.partial ? text + " " + words.partial : text;
  }

  function sampleLabel(words, row) {
    return "n = " + row.n + (row.small ? " (" + words.small + ")" : "");
  }

  function periodLine(rows, extra) {
    // Points under the small-sample threshold are hollow; the segment into a partial period is dashed.
    var colour = extra.borderColor;
    var dataset = {
      tension: 0,
      spanGaps: false,
      fill: false,
      borderWidth: 2,
      pointRadius: rows.map(function (row) { return row.small ? 4 : 3; }),
      pointHoverRadius: 6,
      pointBorderWidth: 2,
      pointBorderColor: colour,
      pointBackgroundColor: rows.map(function (row) { return row.small ? "#ffffff" : colour; }),
      segment: {
        borderDash: function (context) {
          var row = rows[context.p1DataIndex];
          var first = rows[context.p0DataIndex];
          return (row && row.partial) || (first && first.partial) ? [5, 5] : undefined;
        }
      }
    };
    Object.keys(extra).forEach(function (key) { dataset[key] = extra[key]; });
    return dataset;
  }

  function timeAxis() {
    // Month labels never overlap on a phone: they are thinned out, never rotated over each other.
    return { grid: { display: false }, ticks: { autoSkip: true, autoSkipPadding: 12, maxRotation: 0, minRotation: 0 } };
  }

  function drawTrend(canvas, rows, palette) {
    var words = trendWords(canvas);
    var datasets = [
      {
        // Upper edge of the margin band: drawn only as the edge the next dataset fills to.
        label: "upper",
        data: rows.map(function (row) { return bound(row, 1); }),
        borderWidth: 0,
        pointRadius: 0,
        pointHoverRadius: 0,
        fill: false,
        spanGaps: false,
        tension: 0
      },
      {
        label: words.margin,
        data: rows.map(function (row) { return bound(row, -1); }),
        borderWidth: 0,
        pointRadius: 0,
        pointHoverRadius: 0,
        backgroundColor: palette.band,
        borderColor: palette.band,
        fill: "-1",
        spanGaps: false,
        tension: 0
      },
      periodLine(rows, {
        label: words.nps,
        data: rows.map(function (row) { return row.nps; }),
        borderColor: palette.trend,
        backgroundColor: palette.trend,
        borderWidth: 3,
        pointStyle: "circle"
      })
    ];

    return new window.Chart(canvas, {
      type: "line",
      data: { labels: rows.map(function (row) { return axisLabel(words, row); }), datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion() ? false : undefined,
        spanGaps: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: {
            position: "bottom",
            labels: {
              usePointStyle: true,
              boxHeight: 8,
              filter: function (item) { return item.datasetIndex !== 0; }
            }
          },
          tooltip: {
            filter: function (item) { return item.datasetIndex === 2; },
            callbacks: {
              title: function (items) { return titleLabel(words, rows[items[0].dataIndex]); },
              label: function (item) {
                var row = rows[item.dataIndex];
                if (row.nps === null) {
                  return words.none;
                }
                return words.nps + " " + signed(row.nps) + " \u00b1 " + oneDecimal.format(row.margin);
              },
              afterLabel: function (item) {
                var row = rows[item.dataIndex];
                return row.nps === null ? "" : sampleLabel(words, row);
              }
            }
          }
        },
        scales: {
          x: timeAxis(),
          y: {
            min: -100,
            max: 100,
            ticks: { stepSize: 50, callback: function (value) { return signed(value); } },
            grid: {
              color: function (context) {
                return context.tick && context.tick.value === 0 ? palette.zero : palette.grid;
              },
              lineWidth: function (context) {
                return context.tick && context.tick.value === 0 ? 2 : 1;
              }
            },
            title: { display: true, text: words.nps }
          }
        }
      }
    });
  }

  function drawShares(canvas, rows, palette, words) {
    var datasets = [
      periodLine(rows, {
        label: words.promoters,
        data: rows.map(function (row) { return row.promoters; }),
        borderColor: palette.promoter,
        backgroundColor: palette.promoter,
        pointStyle: "triangle"
      }),
      periodLine(rows, {
        label: words.detractors,
        data: rows.map(function (row) { return row.detractors; }),
        borderColor: palette.detractor,
        backgroundColor: palette.detractor,
        pointStyle: "rect"
      })
    ];
    return new window.Chart(canvas, {
      type: "line",
      data: { labels: rows.map(function (row) { return axisLabel(words, row); }), datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion() ? false : undefined,
        spanGaps: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { usePointStyle: true, boxHeight: 8 } },
          tooltip: {
            callbacks: {
              title: function (items) { return titleLabel(words, rows[items[0].dataIndex]); },
              label: function (item) {
                var row = rows[item.dataIndex];
                if (row.nps === null) {
                  return words.none;
                }
                return item.dataset.label + ": " + percent(item.raw);
              },
              footer: function (items) {
                var row = rows[items[0].dataIndex];
                return row.nps === null ? "" : sampleLabel(words, row);
              }
            }
          }
        },
        scales: {
          x: timeAxis(),
          y: {
            min: 0,
            max: 100,
            ticks: { stepSize: 25, callback: function (value) { return value + "\u00a0%"; } },
            grid: { color: palette.grid },
            title: { display: true, text: words.share }
          }
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
    window.Chart.defaults.color = palette.text;
    var distributionCanvas = document.getElementById("distribution-chart");
    if (distributionCanvas && Array.isArray(data.distribution)) {
      drawDistribution(distributionCanvas, data.distribution, palette);
    }
    var trendCanvas = document.getElementById("trend-chart");
    if (trendCanvas && Array.isArray(data.trend)) {
      drawTrend(trendCanvas, data.trend, palette);
      var sharesCanvas = document.getElementById("shares-chart");
      if (sharesCanvas) {
        drawShares(sharesCanvas, data.trend, palette, trendWords(trendCanvas));
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
