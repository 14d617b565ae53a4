// Concordia: the expert's AHP questionnaire. On every change it recomputes the block's
// weights, CR/GCI and revision hints with ahp.js (the same formulas as the server's ahp/),
// offers one-tap fixes, turns a consistent block green, and autosaves the change. What is
// not yet sent stays in localStorage and is retried. Without this file the page is a plain
// form post. Every text comes from the page (data-msg-*).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var A = window.ConcordiaAHP;
  var done = document.querySelector("[data-clear-storage]");  // submitted or closed: nothing to send
  if (done) { try { localStorage.removeItem(done.getAttribute("data-clear-storage")); } catch (e) { /* ignore */ } }
  var form = document.getElementById("ahp-form");
  if (!form || !A) { return; }
  var cfg = form.dataset;
  var statusEl = form.querySelector("[data-status]");
  var countEl = form.querySelector("[data-count]");
  var bar = form.querySelector("progress.q-bar");
  var blocks = Array.prototype.slice.call(form.querySelectorAll(".ahp-block[data-block]"));
  var labels = {};
  Array.prototype.forEach.call(form.querySelectorAll("[data-saaty]"), function (li) {
    labels[li.getAttribute("data-saaty")] = li.textContent.trim();
  });
  var pending = {}, notes = {}, sending = false, stopped = false, timer = null, delay = 2000;

  function fmt(t, v) {
    return (t || "").replace(/\{(\w+)\}/g, function (m, k) { return v.hasOwnProperty(k) ? String(v[k]) : m; });
  }
  function store(value) {
    try {
      if (value) { localStorage.setItem(cfg.storageKey, value); } else { localStorage.removeItem(cfg.storageKey); }
    } catch (e) { /* private mode */ }
  }
  function persist() {
    store(Object.keys(pending).length || Object.keys(notes).length ? JSON.stringify({j: pending, n: notes}) : null);
  }
  function setStatus(kind, text) {
    if (!statusEl) { return; }
    statusEl.className = "q-status" + (kind ? " is-" + kind : "");
    statusEl.textContent = text || "";
  }
  function names(block) { return JSON.parse(block.getAttribute("data-names")); }
  function sideText(value, pair, block) {
    if (value === null) { return ""; }
    if (value === 1) { return cfg.msgEqual; }
    var n = names(block);
    var who = value > 0 ? n[+pair.dataset.i] : n[+pair.dataset.j];
    return fmt(cfg.msgOverSide, {name: who, label: labels[String(Math.abs(value))]}) + " (" + Math.abs(value) + ")";
  }
  function valueOf(pair) {
    var c = pair.querySelector("input[type=radio]:checked");
    return c ? parseInt(c.value, 10) : null;
  }

  // --- live figures ---------------------------------------------------------------------
  function evaluate(block) {
    var n = parseInt(block.dataset.n, 10), values = {}, given = 0, total = 0;
    Array.prototype.forEach.call(block.querySelectorAll(".ahp-pair"), function (pair) {
      var v = valueOf(pair);
      total += 1;
      pair.classList.toggle("is-answered", v !== null);
      pair.querySelector("[data-said]").textContent = sideText(v, pair, block);
      if (v !== null) { given += 1; values[pair.dataset.i + "-" + pair.dataset.j] = v; }
    });
    var a = A.fromSigned(n, values), out = {given: given, total: total, matrix: a};
    if (given === total) {
      out.complete = true;
    } else if (cfg.allowIncomplete === "1" && given > 0) {
      var c = A.complete(a);
      if (c) { out.matrix = c.filled; out.preview = true; } else { out.disconnected = true; }
    }
    if (given === total || out.preview) {
      var r = A.consistency(out.matrix, {threshold: cfg.rule === "cr_saaty" ? "saaty" : parseFloat(cfg.threshold)});
      out.r = r;
      out.w = cfg.method === "geometric" ? A.priorities(out.matrix, "geometric") : r.priorities;
      out.measure = block.dataset.measure;
      out.value = out.measure === "GCI" ? r.gci : r.cr;
      out.ok = n <= 2 || out.value <= parseFloat(block.dataset.limit) + 1e-12;
    }
    return out;
  }

  function render(block) {
    var res = evaluate(block), fig = block.querySelector("[data-figures]"), n = parseInt(block.dataset.n, 10);
    for (var i = 0; i < n; i++) {
      var rect = fig.querySelector('[data-bar="' + i + '"]'), text = fig.querySelector('[data-bar-text="' + i + '"]');
      var w = res.w ? res.w[i] : 0, full = parseFloat(rect.previousElementSibling.getAttribute("width"));
      rect.setAttribute("width", (full * w).toFixed(1));
      text.textContent = res.w ? w.toFixed(3) : "–";
    }
    var cr = fig.querySelector("[data-cr]"), hints = fig.querySelector("[data-hints]");
    cr.textContent = "";
    hints.textContent = "";
    if (!res.r) {
      cr.textContent = res.disconnected ? cfg.msgDisconnected : fmt(cfg.msgIncomplete, {n: res.given, total: res.total});
    } else {
      var strong = document.createElement("strong");
      strong.textContent = res.measure + " = " + res.value.toFixed(3);
      cr.appendChild(strong);
      var verdict = document.createElement("span");
      verdict.className = res.ok ? "ahp-ok-text" : "ahp-over-text";
      verdict.textContent = res.ok ? cfg.msgConsistent : cfg.msgOver;
      cr.appendChild(document.createTextNode((res.ok ? " ≤ " : " > ") + block.dataset.limit + " · "));
      cr.appendChild(verdict);
      if (res.measure === "CR" && n > 2) {
        var g = document.createElement("span");
        g.className = "muted";
        g.textContent = " · GCI " + res.r.gci.toFixed(3);
        cr.appendChild(g);
      }
      if (res.preview) { cr.appendChild(document.createTextNode(" · " + cfg.msgPreview)); }
      if (!res.ok && res.complete) { showHints(block, res.matrix, hints); }
    }
    var done = !!(res.r && res.ok && (res.complete || res.preview));
    block.classList.toggle("is-done", done);
    block.classList.toggle("is-over", !!(res.r && !res.ok));
    var reason = block.querySelector("[data-reason]");
    if (reason) { reason.hidden = !(res.r && !res.ok) && !reason.querySelector("textarea").value.trim(); }
    var chip = form.querySelector('[data-chip="' + block.dataset.block + '"]');
    if (chip) { chip.classList.toggle("is-done", done); chip.classList.toggle("is-over", !!(res.r && !res.ok)); }
    block.dataset.cr = res.r ? res.r.cr : "";
    block.dataset.weights = res.w ? JSON.stringify(res.w) : "";
    progress();
  }

  function showHints(block, matrix, list) {
    var pairs = block.querySelectorAll(".ahp-pair"), n = names(block);
    A.revisionHints(matrix, 3).forEach(function (h) {
      var pair = null;
      Array.prototype.forEach.call(pairs, function (p) {
        if (+p.dataset.i === h.i && +p.dataset.j === h.j) { pair = p; }
      });
      if (!pair) { return; }
      var signed = A.signed(h.suggested), li = document.createElement("li"), button = document.createElement("button");
      li.textContent = fmt(cfg.msgHint, {a: n[h.i], b: n[h.j], suggested: sideText(signed, pair, block),
                                          cr: h.crAfter.toFixed(3)}) + " ";
      button.type = "button";
      button.className = "button small secondary";
      button.textContent = cfg.msgApply;
      button.addEventListener("click", function () {
        var input = pair.querySelector('input[value="' + signed + '"]');
        if (input) { input.checked = true; changed(pair, block); input.focus(); }
      });
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  function progress() {
    var done = blocks.filter(function (b) { return b.classList.contains("is-done"); }).length;
    if (bar) { bar.value = done; }
    if (countEl) { countEl.textContent = fmt(cfg.msgBlocks, {n: done, total: blocks.length}); }
  }

  // --- autosave -------------------------------------------------------------------------
  function changed(pair, block) {
    pending[block.dataset.block + ":" + pair.dataset.row + ":" + pair.dataset.col] = valueOf(pair);
    persist();
    render(block);
    setStatus("saving", cfg.msgSaving);
    schedule(300);
  }

  function schedule(ms) {
    if (stopped) { return; }
    clearTimeout(timer);
    timer = setTimeout(send, ms);
  }

  function send() {
    if (sending || stopped) { return; }
    var keys = Object.keys(pending), nkeys = Object.keys(notes);
    if (!keys.length && !nkeys.length) { return; }
    var body = {
      judgments: keys.map(function (k) {
        var p = k.split(":");
        return {block: +p[0], row: +p[1], col: +p[2], value: pending[k]};
      }),
      notes: nkeys.map(function (k) { return {block: +k, reason: notes[k]}; })
    };
    var sent = JSON.stringify(body);
    sending = true;
    setStatus("saving", cfg.msgSaving);
    fetch(cfg.saveUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": form.querySelector("[name=csrf_token]").value},
      body: sent
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) { return {resp: resp, data: data}; });
    }).then(function (r) {
      sending = false;
      if (r.resp.ok) {
        // forget what was sent unless it changed again meanwhile
        keys.forEach(function (k, i) { if (pending[k] === body.judgments[i].value) { delete pending[k]; } });
        nkeys.forEach(function (k, i) { if (notes[k] === body.notes[i].reason) { delete notes[k]; } });
        persist();
        delay = 2000;
        setStatus("saved", fmt(cfg.msgSaved, {time: new Date().toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"})}));
        if (Object.keys(pending).length || Object.keys(notes).length) { schedule(300); }
      } else if (r.resp.status === 403) {
        stopped = true;
        setStatus("error", cfg.msgSession);
      } else if (r.data && r.data.error === "refused") {
        if (r.data.closed) { stopped = true; }
        keys.forEach(function (k) { delete pending[k]; });
        nkeys.forEach(function (k) { delete notes[k]; });
        persist();
        setStatus("error", fmt(cfg.msgRefused, {reason: r.data.message}));
      } else { retry(); }
    }).catch(function () { sending = false; retry(); });
  }

  function retry() {
    setStatus("offline", cfg.msgOffline);
    delay = Math.min(delay * 2, 30000);
    schedule(delay);
  }

  // --- wiring ---------------------------------------------------------------------------
  blocks.forEach(function (block) {
    block.addEventListener("change", function (ev) {
      var pair = ev.target.closest(".ahp-pair");
      if (pair && ev.target.type === "radio") { changed(pair, block); }
    });
    var reason = block.querySelector("[data-reason] textarea");
    if (reason) {
      reason.addEventListener("input", function () {
        notes[block.dataset.block] = reason.value;
        persist();
        schedule(800);
      });
    }
  });
  // Restore what was not sent (e.g. the tab closed offline) over the server's copy.
  try {
    var saved = JSON.parse(localStorage.getItem(cfg.storageKey) || "null");
    if (saved && saved.j) {
      Object.keys(saved.j).forEach(function (k) {
        var p = k.split(":"), block = form.querySelector('.ahp-block[data-block="' + p[0] + '"]');
        var pair = block && block.querySelector('.ahp-pair[data-row="' + p[1] + '"][data-col="' + p[2] + '"]');
        if (!pair) { return; }
        var v = saved.j[k];
        Array.prototype.forEach.call(pair.querySelectorAll("input[type=radio]"), function (input) {
          input.checked = v !== null && +input.value === v;
        });
        pending[k] = v;
      });
      notes = saved.n || {};
    }
  } catch (e) { /* nothing to restore */ }
  blocks.forEach(render);
  window.addEventListener("online", function () { schedule(0); });
  if (Object.keys(pending).length || Object.keys(notes).length) { schedule(0); }
})();
