// The live brain page of `feagi-npu serve` (docs/SERVER.md, "The brain page").
//
// Reads the area table from the REST API, decodes the visualization stream
// (FeagiByteContainer v4, type-11 XYZP) and draws on <canvas>: a heat map of
// every area's voxels, firing rate per area, burst rate and burst time, and
// learning (weight histograms of plastic pairs, memory neurons). Controls
// post to the REST API; every server error is shown in the page.
//
// window.__feagiStats holds figures for tests and curious users: frames
// handled, frame handling time (decode + draw, performance.now()), ...

import { decodeFrame } from "./fbc.js";

const HISTORY_S = 60; // seconds the plots cover
const DECAY = 0.55; // heat left of a voxel after each frame
const MAP_PIXELS = 200; // the longest side of a heat map (cells never under 1 px)
const MAX_CELL = 24;
const LEARNING_PERIOD_MS = 2000; // while the brain has plastic pairs or memory areas
const IDLE_LEARNING_PERIOD_MS = 10000; // while it has neither (or the report failed)
const PALETTE = makePalette();
const SERIES_COLORS = ["#ffb000", "#4fc3f7", "#ef5350", "#66bb6a", "#ab47bc", "#ffee58", "#26a69a",
  "#ff7043", "#8d6e63", "#5c6bc0", "#d4e157", "#ec407a", "#78909c", "#29b6f6", "#9ccc65", "#ffa726"];

const stats = {
  frames: 0, // frames decoded and drawn
  badFrames: 0,
  lastFrameMs: 0, // decode + draw of the last frame
  frameMs: [], // the last 600 frames' handling times
  frameNeurons: [], // and the neurons each of them carried
  paintDelayMs: [], // frame message -> the next animation frame (the last 600)
  lagMs: [], // how late a 100 ms timer fires, a sample a second (the last 120): main-thread lag
  longTasks: 0, // main-thread tasks over 50 ms (where the browser reports them)
  maxFrameMs: 0,
  lastFrameNeurons: 0,
  lastFrameBytes: 0,
  ratePoints: 0, // one-second points added to the rate plot
  wsState: "connecting",
  genomeNum: null,
  areas: 0,
  errors: [], // messages shown to the user
  burstCount: 0,
  achievedHz: null,
  burstTimeMs: null,
  learningPolls: 0,
};
window.__feagiStats = stats;

const $ = (id) => document.getElementById(id);
const state = {
  areas: new Map(), // key -> area
  order: [],
  wsUrl: null,
  ws: null,
  genomeNum: null,
  paused: false,
  rateSeries: new Map(), // key -> [percent per second]
  hzSeries: [],
  btSeries: [],
  lastEngine: null,
  pairs: new Map(), // "src>dst" -> {histories: [[16 fractions]], mean}
  memory: new Map(), // key -> {alive: [], long: []}
  watches: [], // cells tests watch: {key, x, y, hits, pixels}
  reloading: false,
  learning: false, // the last learning report had pairs or memory areas
  learningTimer: null,
  learningGeneration: 0,
};

// ----- errors and notices ---------------------------------------------------

function showError(message) {
  const text = `${new Date().toLocaleTimeString()}  ${message}`;
  stats.errors.push(message);
  if (stats.errors.length > 50) stats.errors.shift();
  const box = $("errors");
  const line = document.createElement("div");
  line.textContent = text;
  box.prepend(line);
  while (box.childElementCount > 5) box.lastElementChild.remove();
  box.hidden = false;
}

function notice(message) {
  $("notice").textContent = message;
}

// A REST call: resolves to the JSON answer, or throws an Error carrying the
// server's message (FEAGI's error JSON {"code", "message"}) and status.
async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    const err = new Error(`${path}: the server did not answer (${e.message})`);
    err.status = 0;
    throw err;
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!response.ok) {
    const message = body && typeof body === "object" && body.message ? body.message : String(body || response.statusText);
    const err = new Error(`${response.status}: ${message}`);
    err.status = response.status;
    err.body = body;
    throw err;
  }
  return body;
}

function postJson(path, value) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(value) });
}

// ----- areas ------------------------------------------------------------------

const KIND_ORDER = { sensory: 0, core: 1, custom: 2, memory: 3, motor: 4 };

async function loadAreas() {
  const geometry = await api("/v1/cortical_area/cortical_area/geometry");
  const old = state.areas;
  state.areas = new Map();
  for (const [key, g] of Object.entries(geometry)) {
    const [w, h, d] = g.cortical_dimensions || [1, 1, 1];
    const area = {
      key,
      name: g.cortical_name || key,
      kind: g.cortical_type || g.cortical_group || "custom",
      internalId: g.feagi_rust_id || "",
      dims: [w, h, d],
      neurons: g.neuron_count || 0,
      memory: (g.cortical_type || "") === "memory",
      grid: new Float32Array(Math.max(1, w * h)),
      hot: false,
      firedFrame: 0, // neurons fired in the last frame
      secondSum: 0, // neurons fired in this second's frames
    };
    area.cell = Math.max(1, Math.min(MAX_CELL, Math.floor(MAP_PIXELS / Math.max(w, h))));
    state.areas.set(key, area);
    if (!state.rateSeries.has(key) || !old.has(key)) state.rateSeries.set(key, []);
  }
  for (const key of [...state.rateSeries.keys()]) if (!state.areas.has(key)) state.rateSeries.delete(key);
  state.order = [...state.areas.values()]
    .sort((a, b) => (KIND_ORDER[a.kind] ?? 9) - (KIND_ORDER[b.kind] ?? 9) || a.name.localeCompare(b.name))
    .map((a) => a.key);
  stats.areas = state.order.length;
  renderTable();
  renderMaps();
  renderLegend();
}

function renderTable() {
  const body = $("area-table").tBodies[0];
  body.replaceChildren();
  for (const key of state.order) {
    const a = state.areas.get(key);
    const tr = document.createElement("tr");
    tr.dataset.key = key;
    const cells = [a.internalId || key, a.name, a.kind, a.dims.join(" × "), a.neurons.toLocaleString("en-US"), "0"];
    cells.forEach((text, i) => {
      const td = document.createElement("td");
      td.textContent = text;
      if (i === 0) { td.className = "id"; td.title = `wire id ${key}`; }
      if (i === 5) td.className = "firing";
      tr.append(td);
    });
    a.row = tr.lastElementChild;
    body.append(tr);
  }
  $("area-count").textContent = `${state.order.length} areas`;
}

function renderMaps() {
  const box = $("maps");
  box.replaceChildren();
  for (const key of state.order) {
    const a = state.areas.get(key);
    const [w, h] = a.dims;
    const div = document.createElement("div");
    div.className = a.memory ? "map memory" : "map";
    div.dataset.key = key;
    const title = document.createElement("h3");
    title.textContent = `${a.name} `;
    const span = document.createElement("span");
    span.textContent = a.memory ? "memory neurons firing" : `${w}×${h}×${a.dims[2]}`;
    title.append(span);
    const canvas = document.createElement("canvas");
    if (a.memory) {
      canvas.width = 120;
      canvas.height = 48;
    } else {
      canvas.width = w * a.cell;
      canvas.height = h * a.cell;
      a.off = document.createElement("canvas");
      a.off.width = w;
      a.off.height = h;
      a.offCtx = a.off.getContext("2d");
      a.image = a.offCtx.createImageData(w, h);
      a.pixels = new Uint32Array(a.image.data.buffer);
      a.pixels.fill(PALETTE[0]);
      canvas.addEventListener("click", (event) => stimulateAt(a, canvas, event));
    }
    canvas.dataset.key = key;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", a.memory ? `${a.name}: memory neurons firing` : `${a.name}: activity by voxel; click to stimulate`);
    a.canvas = canvas;
    a.ctx = canvas.getContext("2d");
    a.ctx.imageSmoothingEnabled = false;
    div.append(title, canvas);
    box.append(div);
    drawArea(a, true);
  }
}

// The voxel column under a click: x to the right, y upwards (y = 0 at the
// bottom, as Brain Visualizer shows it).
function voxelAt(a, canvas, event) {
  const rect = canvas.getBoundingClientRect();
  const sx = canvas.width / rect.width;
  const sy = canvas.height / rect.height;
  const px = (event.clientX - rect.left) * sx;
  const py = (event.clientY - rect.top) * sy;
  const x = Math.min(a.dims[0] - 1, Math.max(0, Math.floor(px / a.cell)));
  const yFromTop = Math.min(a.dims[1] - 1, Math.max(0, Math.floor(py / a.cell)));
  return [x, a.dims[1] - 1 - yFromTop];
}

async function stimulateAt(a, canvas, event) {
  const [x, y] = voxelAt(a, canvas, event);
  const voxels = [];
  for (let z = 0; z < a.dims[2]; z++) voxels.push([x, y, z]);
  try {
    const answer = await postJson("/v1/agent/manual_stimulation", {
      stimulation_payload: { [a.key]: voxels },
      mode: "force_fire",
    });
    notice(`stimulated ${a.name} (${x}, ${y}): ${answer.message || "staged"}`);
  } catch (e) {
    showError(`stimulating ${a.name} (${x}, ${y}) failed: ${e.message}`);
  }
}

// ----- heat maps ----------------------------------------------------------------

function makePalette() {
  // Black -> deep red -> orange -> yellow -> white, as packed RGBA (little-endian).
  const out = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    const r = Math.min(255, Math.round(40 + 600 * t));
    const g = Math.min(255, Math.round(Math.max(0, 420 * (t - 0.25))));
    const b = Math.min(255, Math.round(Math.max(0, 600 * (t - 0.7)) + 30 * (1 - t)));
    const [rr, gg, bb] = i === 0 ? [12, 16, 22] : [r, g, b];
    out[i] = (255 << 24) | (bb << 16) | (gg << 8) | rr;
  }
  return out;
}

// Redraws an area: decays its heat and paints it (memory areas: the count).
function drawArea(a, force) {
  if (a.memory) {
    if (!force && a.drawnCount === a.firedFrame) return;
    a.drawnCount = a.firedFrame;
    const ctx = a.ctx;
    ctx.fillStyle = a.firedFrame > 0 ? "#3a2400" : "#0c1016";
    ctx.fillRect(0, 0, a.canvas.width, a.canvas.height);
    ctx.fillStyle = a.firedFrame > 0 ? "#ffb000" : "#8797a8";
    ctx.font = "bold 22px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(String(a.firedFrame), a.canvas.width / 2, a.canvas.height / 2);
    return;
  }
  if (!a.hot && !force) return;
  const [w, h] = a.dims;
  const grid = a.grid;
  const pixels = a.pixels;
  let hot = false;
  for (let y = 0; y < h; y++) {
    const row = (h - 1 - y) * w; // y upwards
    const g = y * w;
    for (let x = 0; x < w; x++) {
      const v = grid[g + x];
      if (v > 0.004) {
        hot = true;
        pixels[row + x] = PALETTE[v >= 1 ? 255 : 1 + ((v * 254) | 0)];
        grid[g + x] = v * DECAY;
      } else if (v !== 0) {
        grid[g + x] = 0;
        pixels[row + x] = PALETTE[0];
      }
    }
  }
  a.offCtx.putImageData(a.image, 0, 0);
  a.ctx.drawImage(a.off, 0, 0, a.canvas.width, a.canvas.height);
  a.hot = hot;
}

function handleFrame(buffer) {
  const t0 = performance.now();
  let frame;
  try {
    frame = decodeFrame(buffer);
  } catch (e) {
    stats.badFrames++;
    if (stats.badFrames === 1 || (stats.badFrames & (stats.badFrames - 1)) === 0) {
      showError(`a visualization frame could not be decoded (${stats.badFrames} so far): ${e.message}`);
    }
    return;
  }
  for (const a of state.areas.values()) a.firedFrame = 0;
  let neurons = 0;
  for (const entry of frame.areas) {
    const a = state.areas.get(entry.id);
    if (!a) continue;
    neurons += entry.n;
    a.firedFrame += entry.n;
    if (a.memory) continue;
    const [w, h, d] = a.dims;
    const grid = a.grid;
    const share = 1 / Math.max(1, Math.min(d, 2)); // one z layer lights a column half, two light it fully
    const xs = entry.x, ys = entry.y;
    for (let i = 0; i < entry.n; i++) {
      const x = xs[i], y = ys[i];
      if (x < w && y < h) grid[y * w + x] += share;
    }
    a.hot = true;
  }
  for (const a of state.areas.values()) {
    a.secondSum += a.firedFrame;
    drawArea(a, false);
  }
  checkWatches(frame);
  const ms = performance.now() - t0;
  stats.frames++;
  stats.lastFrameMs = ms;
  stats.lastFrameNeurons = neurons;
  stats.lastFrameBytes = buffer.byteLength;
  stats.maxFrameMs = Math.max(stats.maxFrameMs, ms);
  stats.frameMs.push(ms);
  stats.frameNeurons.push(neurons);
  if (stats.frameMs.length > 600) {
    stats.frameMs.shift();
    stats.frameNeurons.shift();
  }
  framesThisSecond++;
  if (!paintPending) {
    paintPending = true;
    requestAnimationFrame(() => {
      paintPending = false;
      stats.paintDelayMs.push(performance.now() - t0);
      if (stats.paintDelayMs.length > 600) stats.paintDelayMs.shift();
    });
  }
}

let paintPending = false;

// Responsiveness: a 100 ms timer that notes how late it fires (the worst of
// each second), and the browser's long-task reports.
function watchResponsiveness() {
  let expected = performance.now() + 100;
  let worst = 0;
  let ticks = 0;
  setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - expected);
    expected = now + 100;
    if (++ticks % 10 === 0) {
      stats.lagMs.push(worst);
      if (stats.lagMs.length > 120) stats.lagMs.shift();
      worst = 0;
    }
  }, 100);
  try {
    new PerformanceObserver((list) => { stats.longTasks += list.getEntries().length; })
      .observe({ type: "longtask", buffered: true });
  } catch {
    // Long tasks are not reported by this browser.
  }
}

let framesThisSecond = 0;

// Tests (and users, from the console) can watch a voxel column: each frame in
// which it fired is recorded with the colour the page painted for it.
function checkWatches(frame) {
  for (const w of state.watches) {
    const entry = frame.areas.find((e) => e.id === w.key);
    if (!entry) continue;
    let fired = false;
    for (let i = 0; i < entry.n; i++) if (entry.x[i] === w.x && entry.y[i] === w.y) { fired = true; break; }
    if (!fired) continue;
    const a = state.areas.get(w.key);
    const cy = (a.dims[1] - 1 - w.y) * a.cell + (a.cell >> 1);
    const cx = w.x * a.cell + (a.cell >> 1);
    const [r, g, b] = a.ctx.getImageData(cx, cy, 1, 1).data;
    w.hits.push({ frame: stats.frames, counter: frame.counter, rgb: [r, g, b] });
  }
}

window.__feagiPage = {
  watch(key, x, y) {
    const w = { key, x, y, hits: [] };
    state.watches.push(w);
    return state.watches.length - 1;
  },
  hits(i) { return state.watches[i] ? state.watches[i].hits : null; },
  cell(key, x, y) {
    const a = state.areas.get(key);
    return a && !a.memory ? a.grid[y * a.dims[0] + x] : null;
  },
  // The page-pixel centre of voxel column (x, y) of an area, for clicks.
  cellCenter(key, x, y) {
    const a = state.areas.get(key);
    const rect = a.canvas.getBoundingClientRect();
    return {
      x: rect.left + ((x + 0.5) * a.cell * rect.width) / a.canvas.width,
      y: rect.top + ((a.dims[1] - 1 - y + 0.5) * a.cell * rect.height) / a.canvas.height,
    };
  },
  areaKeys() { return [...state.order]; },
};

// ----- the stream -------------------------------------------------------------------

function connect() {
  if (!state.wsUrl) return;
  let ws;
  try {
    ws = new WebSocket(state.wsUrl);
  } catch (e) {
    showError(`cannot open the visualization stream ${state.wsUrl}: ${e.message}`);
    return;
  }
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  setWsState("connecting");
  ws.onopen = () => setWsState("live");
  ws.onmessage = (event) => {
    if (event.data instanceof ArrayBuffer) handleFrame(event.data);
  };
  ws.onclose = () => {
    if (state.ws !== ws) return;
    setWsState("reconnecting");
    setTimeout(connect, 1000);
  };
  ws.onerror = () => setWsState("error");
}

function setWsState(s) {
  stats.wsState = s;
  $("ws-state").textContent = s;
}

// ----- once a second: rates, engine figures, genome changes ------------------

async function everySecond() {
  for (const a of state.areas.values()) {
    const frames = Math.max(1, framesThisSecond);
    const percent = a.neurons > 0 ? (100 * a.secondSum) / frames / a.neurons : 0;
    const series = state.rateSeries.get(a.key);
    if (series) pushSeries(series, percent);
    if (a.row) a.row.textContent = a.memory ? String(a.firedFrame) : `${percent.toFixed(percent < 1 ? 2 : 1)} %`;
    a.secondSum = 0;
  }
  framesThisSecond = 0;
  stats.ratePoints++;
  drawRatePlot();
  $("frame-ms").textContent = stats.frames ? stats.lastFrameMs.toFixed(2) : "-";
  try {
    const e = await api("/v1/feagi_rust/engine");
    const now = performance.now();
    if (state.lastEngine && e.burst_count >= state.lastEngine.burst_count) {
      const dt = (now - state.lastEngine.at) / 1000;
      const bursts = e.burst_count - state.lastEngine.burst_count;
      const hz = dt > 0 ? bursts / dt : 0;
      const bt = bursts > 0 ? (e.total_burst_ms - state.lastEngine.total_burst_ms) / bursts : e.last_burst_ms;
      pushSeries(state.hzSeries, hz);
      pushSeries(state.btSeries, bt);
      stats.achievedHz = hz;
      stats.burstTimeMs = bt;
      $("burst-rate").textContent = hz.toFixed(1);
      $("burst-time").textContent = bt.toFixed(2);
      drawLinePlot($("hz-plot"), [{ values: state.hzSeries, color: "#4fc3f7" }], "Hz");
      drawLinePlot($("bt-plot"), [{ values: state.btSeries, color: "#ffb000" }], "ms");
    }
    state.lastEngine = { ...e, at: now };
    stats.burstCount = e.burst_count;
    $("burst-count").textContent = e.burst_count.toLocaleString("en-US");
    if (document.activeElement !== $("rate-input") && !$("rate-input").dataset.touched) {
      $("rate-input").value = +e.frequency_hz.toPrecision(6);
    }
    if (typeof e.paused === "boolean" && e.paused !== state.paused) {
      state.paused = e.paused;
      $("pause-button").textContent = e.paused ? "Resume" : "Pause";
    }
    if (e.error) showError(`the burst loop stopped: ${e.error}`);
    if (state.genomeNum !== null && e.genome_num !== state.genomeNum) await reloadBrain("the brain changed");
    state.genomeNum = e.genome_num;
    stats.genomeNum = e.genome_num;
    $("genome-num").textContent = e.genome_num;
  } catch (e) {
    setStale(`engine figures: ${e.message}`);
  }
}

let staleShown = false;
function setStale(message) {
  if (!staleShown) showError(message);
  staleShown = true;
  setTimeout(() => { staleShown = false; }, 10000);
}

function pushSeries(series, v) {
  series.push(v);
  if (series.length > HISTORY_S) series.shift();
}

async function reloadBrain(why) {
  if (state.reloading) return;
  state.reloading = true;
  try {
    notice(`${why}: reloading the area list`);
    await loadAreas();
    await loadTitle();
    state.pairs.clear();
    state.memory.clear();
    $("pairs").replaceChildren();
    $("memory").replaceChildren();
    pollLearningSoon();
  } catch (e) {
    showError(`reloading the area list failed: ${e.message}`);
  } finally {
    state.reloading = false;
  }
}

// ----- plots ----------------------------------------------------------------------

function colorOf(i) {
  return SERIES_COLORS[i % SERIES_COLORS.length];
}

function renderLegend() {
  const box = $("rate-legend");
  box.replaceChildren();
  state.order.forEach((key, i) => {
    const a = state.areas.get(key);
    const span = document.createElement("span");
    const sw = document.createElement("i");
    sw.style.background = colorOf(i);
    span.append(sw, a.name);
    box.append(span);
  });
}

function drawRatePlot() {
  const lines = state.order.map((key, i) => ({ values: state.rateSeries.get(key) || [], color: colorOf(i) }));
  drawLinePlot($("rate-plot"), lines, "%");
}

// Lines over the last HISTORY_S points, newest at the right, y from 0 to the
// largest value.
function drawLinePlot(canvas, lines, unit) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, left = 44, bottom = 14, top = 6;
  ctx.fillStyle = "#05090d";
  ctx.fillRect(0, 0, W, H);
  let max = 0;
  for (const l of lines) for (const v of l.values) if (Number.isFinite(v)) max = Math.max(max, v);
  const ceiling = niceCeiling(max);
  ctx.strokeStyle = "#223042";
  ctx.fillStyle = "#8797a8";
  ctx.font = "10px system-ui, sans-serif";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let i = 0; i <= 2; i++) {
    const y = top + ((H - top - bottom) * i) / 2;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(W, y);
    ctx.stroke();
    ctx.fillText(formatTick((ceiling * (2 - i)) / 2) + (i === 0 ? ` ${unit}` : ""), left - 4, y);
  }
  ctx.textAlign = "left";
  ctx.textBaseline = "bottom";
  ctx.fillText(`-${HISTORY_S} s`, left, H);
  ctx.textAlign = "right";
  ctx.fillText("now", W - 2, H);
  const xOf = (i, n) => left + ((W - left) * (HISTORY_S - n + i)) / (HISTORY_S - 1);
  const yOf = (v) => top + (H - top - bottom) * (1 - v / ceiling);
  ctx.lineWidth = 1.5;
  for (const l of lines) {
    const n = l.values.length;
    if (n === 0) continue;
    ctx.strokeStyle = l.color;
    ctx.beginPath();
    l.values.forEach((v, i) => {
      const x = xOf(i, n), y = yOf(Number.isFinite(v) ? v : 0);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    if (n === 1) ctx.lineTo(xOf(0, n) + 2, yOf(l.values[0]));
    ctx.stroke();
  }
  ctx.lineWidth = 1;
}

function niceCeiling(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function formatTick(v) {
  return v >= 100 ? v.toFixed(0) : v >= 1 ? +v.toFixed(1) + "" : +v.toPrecision(2) + "";
}

// ----- learning ---------------------------------------------------------------------

// The report is made on the burst thread: polled every 2 s while there is
// something to show, every 10 s otherwise (and at once after a new genome).
async function learningLoop() {
  const generation = ++state.learningGeneration; // a newer loop replaces this one
  await pollLearning();
  if (generation !== state.learningGeneration) return;
  const period = state.learning ? LEARNING_PERIOD_MS : IDLE_LEARNING_PERIOD_MS;
  state.learningTimer = setTimeout(learningLoop, period);
}

function pollLearningSoon() {
  clearTimeout(state.learningTimer);
  learningLoop();
}

async function pollLearning() {
  let report;
  try {
    report = await api("/v1/feagi_rust/plasticity");
  } catch (e) {
    $("learning-state").textContent = `learning figures unavailable: ${e.message}`;
    return;
  }
  stats.learningPolls++;
  state.learning = report.pairs.length > 0 || report.memory_areas.length > 0;
  const nameOf = (key) => (state.areas.get(key) || { name: key }).name;
  const parts = [report.plasticity ? "plasticity on" : "plasticity off"];
  parts.push(`${report.pairs.length} plastic pairs`, `${report.memory_areas.length} memory areas`);
  if (report.last_burst) parts.push(`last burst: ${report.last_burst.potentiations} potentiations, ${report.last_burst.depressions} depressions`);
  $("learning-state").textContent = parts.join(" · ");
  const pairIds = report.pairs.map((p) => `${p.source}>${p.destination}`);
  report.pairs.forEach((p, k) => {
    const entry = ensureCard(state.pairs, $("pairs"), pairIds[k], "pair", { history: [] });
    const total = p.histogram.reduce((s, c) => s + c, 0) || 1;
    entry.history.push(p.histogram.map((c) => c / total));
    if (entry.history.length > STRIP_COLUMNS) entry.history.shift();
    entry.h.textContent = `${nameOf(p.source)} → ${nameOf(p.destination)}: ${p.synapses} synapses, mean weight ${p.mean_weight.toFixed(1)}`;
    drawHistogramStrip(entry.canvas, entry.history, report.bins);
  });
  pruneCards(state.pairs, pairIds);
  // Areas the brain treats as memory areas (the genome may file them as
  // custom): their memory neurons are counted, not drawn as voxels.
  let remap = false;
  for (const m of report.memory_areas) {
    const a = state.areas.get(m.cortical_id);
    if (a && !a.memory) {
      a.memory = true;
      remap = true;
    }
  }
  if (remap) renderMaps();
  for (const m of report.memory_areas) {
    const entry = ensureCard(state.memory, $("memory"), m.cortical_id, "mem", { alive: [], long: [] });
    pushSeries(entry.alive, m.alive);
    pushSeries(entry.long, m.long_term);
    entry.h.textContent = `${nameOf(m.cortical_id)}: ${m.alive} alive, ${m.long_term} long-term`;
    drawLinePlot(entry.canvas, [{ values: entry.alive, color: "#4fc3f7" }, { values: entry.long, color: "#ffb000" }], "");
  }
  pruneCards(state.memory, report.memory_areas.map((m) => m.cortical_id));
}

// Polls shown in a weight histogram strip (one column each).
const STRIP_COLUMNS = 90;

// The card `id` of `cards` (a heading and a small canvas in `box`), made
// with the fields of `extra` the first time.
function ensureCard(cards, box, id, cls, extra) {
  let entry = cards.get(id);
  if (!entry) {
    const div = document.createElement("div");
    div.className = cls;
    const h = document.createElement("h3");
    const canvas = document.createElement("canvas");
    canvas.width = 180;
    canvas.height = 64;
    div.append(h, canvas);
    box.append(div);
    entry = { div, h, canvas, ...extra };
    cards.set(id, entry);
  }
  return entry;
}

// Removes the cards whose id is not in `live`.
function pruneCards(cards, live) {
  const keep = new Set(live);
  for (const [id, entry] of cards) {
    if (!keep.has(id)) {
      entry.div.remove();
      cards.delete(id);
    }
  }
}

// Weight histogram over time: one column per poll (newest at the right),
// one row per bin (weight 0 at the bottom), brightness = share of synapses.
function drawHistogramStrip(canvas, history, bins) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height;
  ctx.fillStyle = "#05090d";
  ctx.fillRect(0, 0, W, H);
  const cw = W / STRIP_COLUMNS, ch = H / bins;
  history.forEach((column, i) => {
    const x = W - (history.length - i) * cw;
    column.forEach((share, b) => {
      if (share <= 0) return;
      ctx.fillStyle = cssColor(PALETTE[Math.min(255, 40 + Math.round(215 * Math.sqrt(share)))]);
      ctx.fillRect(x, H - (b + 1) * ch, Math.ceil(cw), Math.ceil(ch));
    });
  });
}

function cssColor(packed) {
  return `rgb(${packed & 255}, ${(packed >> 8) & 255}, ${(packed >> 16) & 255})`;
}

// ----- controls ---------------------------------------------------------------------

function setupControls() {
  // Once the user touches the field the page stops filling it in.
  for (const kind of ["focus", "input"]) $("rate-input").addEventListener(kind, (e) => { e.target.dataset.touched = "1"; });
  $("rate-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const hz = Number($("rate-input").value);
    delete $("rate-input").dataset.touched;
    if (!(hz > 0)) {
      showError(`the burst rate must be a positive number of bursts per second, not ${$("rate-input").value}`);
      return;
    }
    try {
      const answer = await postJson("/v1/burst_engine/simulation_timestep", { simulation_timestep: 1 / hz });
      notice(answer.message || `burst rate set to ${hz} Hz`);
    } catch (e) {
      showError(`setting the burst rate failed: ${e.message}`);
    }
  });
  $("pause-button").addEventListener("click", async () => {
    const action = state.paused ? "resume" : "pause";
    try {
      const answer = await postJson("/v1/burst_engine/control", { action });
      state.paused = answer && typeof answer.paused === "boolean" ? answer.paused : action === "pause";
      $("pause-button").textContent = state.paused ? "Resume" : "Pause";
      notice(state.paused ? "paused" : "running");
    } catch (e) {
      showError(`${action} failed: ${e.message}`);
    }
  });
  $("upload-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("genome-file").files[0];
    if (!file) {
      showError("choose a genome file first");
      return;
    }
    notice(`uploading ${file.name} ...`);
    let text;
    try {
      text = await file.text();
    } catch (e) {
      showError(`reading ${file.name} failed: ${e.message}`);
      return;
    }
    try {
      const answer = await api("/v1/genome/upload", { method: "POST", headers: { "Content-Type": "application/json" }, body: text });
      notice(answer && answer.message ? answer.message : `${file.name} loaded`);
      await reloadBrain(`${file.name} loaded`);
      if (answer && typeof answer.genome_num === "number") state.genomeNum = answer.genome_num;
    } catch (e) {
      notice("");
      showError(`loading ${file.name} failed; the running brain goes on. ${e.message}`);
    }
  });
}

async function loadTitle() {
  try {
    const health = await api("/v1/system/health_check");
    state.genomeNum = health.genome_num;
    stats.genomeNum = health.genome_num;
    $("genome-num").textContent = health.genome_num;
  } catch (e) {
    showError(`health check failed: ${e.message}`);
  }
}

async function start() {
  setupControls();
  watchResponsiveness();
  try {
    await loadAreas();
  } catch (e) {
    showError(`the area list could not be read: ${e.message}`);
  }
  await loadTitle();
  try {
    const info = await api("/v1/network/connection_info");
    const url = info && info.websocket && info.websocket.endpoints && info.websocket.endpoints.visualization;
    if (!url) throw new Error("connection_info names no WebSocket visualization endpoint");
    state.wsUrl = url;
    connect();
  } catch (e) {
    showError(`the visualization stream is unknown: ${e.message}`);
  }
  setInterval(everySecond, 1000);
  learningLoop();
}

start();
