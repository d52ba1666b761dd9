// The document served at GET /status: one self-contained page (no external script, style, font or
// image) that polls /status.json every second and draws each figure with a sparkline in inline
// SVG. Its script and style are allowed by hash in the page's own Content-Security-Policy, so it
// runs under a policy that forbids everything else, inline code included.
import { createHash } from 'node:crypto';

const STYLE = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #667085; --bg: #f6f7f9; --card: #fff; --line: #2f6fde; --bad: #c4320a; --grid: #e4e7ec; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8ec; --muted: #98a2b3; --bg: #12151b; --card: #1b2029; --line: #6ea0ff; --bad: #ff7a59; --grid: #2a303b; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 1.5rem; font: 15px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
h1 { font-size: 1.3rem; margin: 0 0 1rem; }
h2 { font-size: 1rem; margin: 1.5rem 0 .25rem; }
.muted { color: var(--muted); font-size: .85rem; margin: 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .75rem; margin-top: .75rem; }
.card { background: var(--card); border: 1px solid var(--grid); border-radius: 8px; padding: .75rem .9rem; }
.card h3 { font-size: .8rem; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0; }
.value { font-size: 1.6rem; font-variant-numeric: tabular-nums; margin: .2rem 0; }
.unit { font-size: .85rem; color: var(--muted); margin-left: .25rem; }
.detail { font-size: .8rem; color: var(--muted); font-variant-numeric: tabular-nums; min-height: 1.1em; }
svg.spark { display: block; width: 100%; height: 48px; margin-top: .4rem; border-bottom: 1px solid var(--grid); }
svg.spark path { fill: none; stroke: var(--line); stroke-width: 1.5; stroke-linejoin: round; }
.errors svg.spark path { stroke: var(--bad); }
.down { color: var(--bad); }
footer { margin-top: 2rem; }
`;

// Plain browser JavaScript, kept free of template-literal syntax so it can live in this string.
const SCRIPT = `
'use strict';
var SVG = 'http://www.w3.org/2000/svg';
var cards = {};

function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function card(parent, key, title, unit, extraClass) {
  var root = el('article', 'card' + (extraClass ? ' ' + extraClass : ''));
  root.id = 'card-' + key;
  root.appendChild(el('h3', '', title));
  var value = el('p', 'value');
  var output = el('output', '', '\\u2013');
  output.id = key;
  value.appendChild(output);
  if (unit) value.appendChild(el('span', 'unit', unit));
  root.appendChild(value);
  var detail = el('p', 'detail');
  root.appendChild(detail);
  var svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 300 48');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  var path = document.createElementNS(SVG, 'path');
  path.id = 'spark-' + key;
  path.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.appendChild(path);
  root.appendChild(svg);
  parent.appendChild(root);
  cards[key] = { output: output, detail: detail, path: path };
  return cards[key];
}

// Draws values (nulls leave gaps) right-aligned on a window of capacity points, scaled to max.
function spark(target, values, capacity, max) {
  var top = max;
  if (top === undefined) {
    top = 0;
    for (var i = 0; i < values.length; i++) if (values[i] !== null && values[i] > top) top = values[i];
  }
  if (!(top > 0)) top = 1;
  var step = 300 / Math.max(capacity - 1, 1);
  var offset = capacity - values.length;
  var d = '';
  var drawn = 0;
  var pen = false;
  for (var j = 0; j < values.length; j++) {
    var v = values[j];
    if (v === null) { pen = false; continue; }
    var x = ((offset + j) * step).toFixed(1);
    var y = (46 - (Math.min(v, top) / top) * 44).toFixed(1);
    d += (pen ? 'L' : 'M') + x + ' ' + y;
    pen = true;
    drawn++;
  }
  target.path.setAttribute('d', d);
  target.path.setAttribute('data-points', String(drawn));
}

function number(value, digits) {
  return value === null || value === undefined ? '\\u2013' : value.toFixed(digits);
}
function ms(value) {
  return value === null || value === undefined ? '\\u2013' : value.toFixed(value < 10 ? 2 : 1);
}
function percent(value) {
  return value === null || value === undefined ? '\\u2013' : (value * 100).toFixed(1);
}
function show(target, text, raw) {
  target.output.textContent = text;
  target.output.setAttribute('data-value', raw === null || raw === undefined ? '' : String(raw));
}

var main = document.getElementById('figures');
var tiers = document.getElementById('tiers');
var state = document.getElementById('state');
var throughput = card(main, 'throughput', 'Throughput', 'req/s');
var p50 = card(main, 'p50', 'Latency p50', 'ms');
var p99 = card(main, 'p99', 'Latency p99', 'ms');
var errors = card(main, 'error-rate', 'Error rate', '%', 'errors');

function render(data) {
  var latest = data.latest;
  var series = data.series;
  var capacity = data.capacity;
  var minutes = Math.round((capacity * data.intervalMs) / 6000) / 10;
  document.getElementById('window').textContent = String(minutes);
  show(throughput, number(latest && latest.throughput, 1), latest && latest.throughput);
  throughput.detail.textContent = latest ? latest.requests + ' requests in the last interval' : '';
  spark(throughput, series.throughput, capacity);
  show(p50, ms(latest && latest.p50Ms), latest && latest.p50Ms);
  spark(p50, series.p50Ms, capacity);
  show(p99, ms(latest && latest.p99Ms), latest && latest.p99Ms);
  spark(p99, series.p99Ms, capacity);
  show(errors, percent(latest && latest.errorRate), latest && latest.errorRate);
  errors.detail.textContent = latest
    ? '5xx ' + latest.errors.server + ' \\u00b7 4xx ' + latest.errors.client + ' \\u00b7 errors in 200s ' + latest.errors.partial
    : '';
  spark(errors, series.errorRate, capacity, 1);
  Object.keys(series.hitRate).forEach(function (tier) {
    var target = cards['tier-' + tier] || card(tiers, 'tier-' + tier, tier, '%');
    var rate = latest ? latest.hitRate[tier] : null;
    show(target, percent(rate), rate);
    target.detail.textContent = latest ? latest.outcomes[tier] + ' in the last interval, ' + data.totals.outcomes[tier] + ' in all' : '';
    spark(target, series.hitRate[tier], capacity, 1);
  });
  state.className = 'muted';
  state.textContent = 'updated ' + new Date(latest ? latest.at : Date.now()).toLocaleTimeString() +
    ' \\u00b7 ' + data.totals.requests + ' GraphQL requests since start';
}

function poll() {
  fetch('status.json', { cache: 'no-store', headers: { accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) throw new Error('status ' + response.status);
      return response.json();
    })
    .then(function (data) {
      render(data);
      setTimeout(poll, 1000);
    })
    .catch(function () {
      state.className = 'muted down';
      state.textContent = 'server unreachable, retrying\\u2026';
      setTimeout(poll, 2000);
    });
}
poll();
`;

const cspHash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Allows this page's own script and style and same-origin fetches; nothing else. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${cspHash(SCRIPT)}`,
  `style-src ${cspHash(STYLE)}`,
  "connect-src 'self'",
  // The empty data: icon keeps browsers from asking for /favicon.ico.
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>cardfile status</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>cardfile status</h1><p id="state" class="muted">waiting for the first sample\u2026</p></header>
<main>
<section id="figures" class="grid" aria-label="GraphQL requests"></section>
<h2>Cache outcomes</h2>
<p class="muted">Share of GraphQL requests by response-cache outcome (the x-cache header) in the last interval.</p>
<section id="tiers" class="grid" aria-label="Cache outcomes"></section>
</main>
<footer><p class="muted">Aggregate figures of this instance's GraphQL requests, sampled every second; sparklines span the last <span id="window">5</span> minutes. The same figures as JSON: <a href="status.json">status.json</a>.</p></footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
