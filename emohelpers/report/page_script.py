"""The report page's own style and script: the synchronised player, collapsible sections,
the print stylesheet. Plain CSS and JavaScript, embedded in the page by `html.export_report`
(nothing is fetched; it needs only the page's plotly.js).

The player ties the page's one `<video class="emo-player">` to its figures:

- every Plotly figure with a time axis (an x axis titled "time (s)") gets a cursor, a
  vertical line at the video's current time, moved on the video's `timeupdate`, `seeked`
  and `pause` events;
- a click on such a figure (Plotly's `plotly_click`, or anywhere in its plot area) seeks
  the video there, and so does a click on any element with `data-emo-seek="<seconds>"`
  (turning points, strongest moments, key frames);
- the live radar (`figures.player_figures.live_radar_figure`) is redrawn at the analysed
  frame shown (the last one at or before the video's time).

Times on the page are the clip's clock; the video starts at `data-emo-start` seconds of it.
"""

from __future__ import annotations

#: The player's cursor shape, by name (tests find it in the figure's layout).
CURSOR_NAME = "emo-cursor"

PAGE_CSS = """
main { max-width: 1100px; margin: 0 auto; }
.jp-RenderedHTMLCommon table.emo-facts td { text-align: left; }
.jp-RenderedHTMLCommon table.emo-facts td:first-child { font-weight: bold; padding-right: 1.5em; }
.emo-findings { display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr));
  gap: 12px; margin: 0.5em 0 1em; }
.emo-finding { border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; background: #fafafa; }
.emo-finding h3 { margin: 0.2em 0 0.4em; }
.emo-finding ul { margin: 0; padding-left: 1.2em; }
.emo-uncertain { color: #b26a00; font-weight: bold; }
.emo-player-row { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
.emo-player-row .emo-player-video { flex: 2 1 560px; }
.emo-player-row .emo-player-radar { flex: 1 1 300px; min-width: 280px; }
.emo-player-row video { width: 100%; }
.emo-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 8px; }
.emo-grid.emo-wide { grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); }
.emo-grid figure { margin: 0; }
.emo-flex { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start; }
.emo-grid img { width: 100%; border-radius: 3px; }
.emo-grid figcaption { font-size: 0.85em; }
[data-emo-seek] { cursor: pointer; }
[data-emo-seek]:hover { outline: 2px solid #D81B60; }
a.emo-seek { color: #1565C0; text-decoration: underline dotted; }
details.emo-details { margin: 0.4em 0 0.8em; border-left: 3px solid #ddd; padding-left: 10px; }
details.emo-details > summary { cursor: pointer; font-weight: bold; color: #444; padding: 4px 0; }
.emo-muted { color: #777; }
@media print {
  main { max-width: none; }
  video, .emo-no-print, .modebar { display: none !important; }
  details.emo-details > summary { list-style: none; }
  .jp-Cell, .emo-finding, figure, .js-plotly-plot { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; page-break-after: avoid; }
  a.emo-seek, [data-emo-seek] { color: inherit; text-decoration: none; outline: none; }
  .emo-print-only { display: block !important; }
}
.emo-print-only { display: none; }
"""

PLAYER_JS = """
(function () {
  "use strict";
  var CURSOR = "emo-cursor";
  var video = null, start = 0, plots = [], radars = [];

  function isTimeline(gd) {
    var lay = gd.layout || {};
    return Object.keys(lay).some(function (k) {
      if (k.indexOf("xaxis") !== 0 || !lay[k] || !lay[k].title) return false;
      var t = lay[k].title;
      return String(typeof t === "string" ? t : t.text || "").indexOf("time (s)") === 0;
    });
  }

  function clipTime() { return video.currentTime + start; }

  function seek(t) {
    if (!video || !isFinite(t)) return;
    var v = Math.max(0, t - start);
    if (isFinite(video.duration)) v = Math.min(v, Math.max(0, video.duration - 1e-3));
    video.currentTime = v;
    var box = video.getBoundingClientRect();
    if (box.bottom < 0 || box.top > window.innerHeight) video.scrollIntoView({block: "center"});
  }

  function addCursor(gd) {
    var shapes = (gd.layout.shapes || []).slice();
    shapes.push({type: "line", name: CURSOR, xref: "x", yref: "paper", x0: start, x1: start,
                 y0: 0, y1: 1, line: {color: "#D81B60", width: 2}, layer: "above"});
    gd._emoCursor = shapes.length - 1;
    return Plotly.relayout(gd, {shapes: shapes});
  }

  function listenClicks(gd) {
    var down = null, viaPlotly = false;
    gd.on("plotly_click", function (d) {
      viaPlotly = true;
      var p = d && d.points && d.points[0];
      if (p && typeof p.x === "number") seek(p.x);
    });
    gd.addEventListener("mousedown", function (ev) {
      down = {x: ev.clientX, y: ev.clientY, at: Date.now()}; viaPlotly = false;
    });
    document.addEventListener("mouseup", function (ev) {
      var was = down; down = null;
      if (!was || Math.abs(ev.clientX - was.x) > 4 || Math.abs(ev.clientY - was.y) > 4) return;
      setTimeout(function () {
        if (viaPlotly) return;  // Plotly gave the point: seeked to that frame
        var xa = gd._fullLayout && gd._fullLayout.xaxis;
        if (!xa) return;
        var px = ev.clientX - gd.getBoundingClientRect().left - xa._offset;
        if (px >= 0 && px <= xa._length) seek(xa.p2l(px));
      }, 0);
    });
  }

  function held(times, t) {
    var lo = 0, hi = times.length - 1, best = 0;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (times[mid] <= t + 1e-6) { best = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return best;
  }

  function drawRadar(gd, t) {
    var meta = gd.layout.meta.emo_radar, i = held(meta.times_s, t);
    if (gd._emoFrame === i) return;
    gd._emoFrame = i;
    var rs = meta.traces.map(function (rows) {
      var r = rows[i];
      return r ? r.concat([r[0]]) : [];
    });
    Plotly.restyle(gd, {r: rs}, rs.map(function (_, k) { return k; }));
    Plotly.relayout(gd, {"title.text": "At " + meta.times_s[i].toFixed(2) + " s (analysed frame)"});
  }

  function update() {
    if (!video) return;
    var t = clipTime(), change = {};
    plots.forEach(function (gd) {
      var k = gd._emoCursor;
      change = {}; change["shapes[" + k + "].x0"] = t; change["shapes[" + k + "].x1"] = t;
      Plotly.relayout(gd, change);
    });
    radars.forEach(function (gd) { drawRadar(gd, t); });
  }

  function init() {
    if (!window.Plotly) return;
    video = document.querySelector("video.emo-player");
    if (video) start = parseFloat(video.getAttribute("data-emo-start") || "0") || 0;
    var all = Array.prototype.slice.call(document.querySelectorAll(".js-plotly-plot"));
    all.forEach(function (gd) {
      if (!gd.layout) return;
      if (gd.layout.meta && gd.layout.meta.emo_radar) { radars.push(gd); return; }
      if (video && isTimeline(gd)) { plots.push(gd); addCursor(gd); listenClicks(gd); }
    });
    if (video) {
      ["timeupdate", "seeked", "pause", "loadedmetadata"].forEach(function (e) {
        video.addEventListener(e, update);
      });
      document.documentElement.setAttribute("data-emo-player", "ready");
    }
    document.addEventListener("click", function (ev) {
      var el = ev.target.closest && ev.target.closest("[data-emo-seek]");
      if (!el) return;
      ev.preventDefault();
      seek(parseFloat(el.getAttribute("data-emo-seek")));
    });
  }

  document.addEventListener("toggle", function (ev) {
    if (!window.Plotly || !ev.target.open) return;
    ev.target.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
      Plotly.Plots.resize(gd);
    });
  }, true);
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  if (document.readyState === "complete") init(); else window.addEventListener("load", init);
})();
"""
assert f'"{CURSOR_NAME}"' in PLAYER_JS
