// Concordia: the expert's questionnaire. Autosaves every change, keeps what is not
// yet sent in localStorage (per round), retries when the connection returns, and
// restores unsent answers over the server's on page load. The page works without
// this file as a plain form post. Every text shown comes from the page (data-msg-*).
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try {
      if (value === null) { window.localStorage.removeItem(key); } else { window.localStorage.setItem(key, value); }
    } catch (e) { /* private mode or full: the server copy still counts */ }
  }

  // Read-only pages (submitted, closed): nothing left to send for this round.
  var done = document.querySelector("[data-clear-storage]");
  if (done) { storageSet(done.getAttribute("data-clear-storage"), null); }

  var form = document.getElementById("questionnaire");
  if (!form || !window.fetch) { return; }

  var cfg = form.dataset;
  var storageKey = cfg.storageKey;
  var statusEl = form.querySelector("[data-status]");
  var countEls = Array.prototype.slice.call(form.querySelectorAll("[data-count]"));
  var bar = form.querySelector("progress.q-bar");
  var items = Array.prototype.slice.call(form.querySelectorAll(".q-item[data-node]"));
  var total = parseInt(cfg.total, 10) || items.length;

  var pending = {};          // node id -> {value?, no_opinion?, comment?, reason?, v}
  var seq = Date.now();      // change counter, kept across reloads
  var sending = false;
  var stopped = false;       // session ended or round closed: stop sending
  var retryTimer = null;
  var retryDelay = 2000;
  var textTimers = {};
  var TEXT_DELAY = 800;
  var MAX_DELAY = 30000;

  function fmt(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : m;
    });
  }

  function setStatus(kind, text) {
    if (!statusEl) { return; }
    statusEl.className = "q-status" + (kind ? " is-" + kind : "");
    statusEl.textContent = text || "";
  }

  function clock() {
    var lang = document.documentElement.lang || undefined;
    try {
      return new Date().toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    } catch (e) {
      var d = new Date();
      return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    }
  }

  // --- local copy ---------------------------------------------------------------------------
  function loadPending() {
    var raw = storageGet(storageKey);
    if (!raw) { return {}; }
    try {
      var data = JSON.parse(raw);
      return data && typeof data === "object" ? data : {};
    } catch (e) { return {}; }
  }

  function persist() {
    storageSet(storageKey, Object.keys(pending).length ? JSON.stringify(pending) : null);
  }

  function record(nodeId, fields) {
    var entry = pending[nodeId] || {};
    Object.keys(fields).forEach(function (key) { entry[key] = fields[key]; });
    seq += 1;
    entry.v = seq;
    pending[nodeId] = entry;
    persist();
  }

  // --- the page -----------------------------------------------------------------------------
  function itemOf(el) { return el.closest ? el.closest(".q-item[data-node]") : null; }

  function checkedValue(item) {
    var checked = item.querySelector("input[type=radio]:checked");
    return checked ? checked.value : "";
  }

  function updateItem(item) {
    var value = checkedValue(item);
    item.classList.toggle("q-answered", value !== "");
    if (value !== "") {
      item.classList.remove("q-missing");
      var note = item.querySelector(".q-missing-note");
      if (note) { note.hidden = true; }
    }
    var reason = item.querySelector("[data-reason]");
    if (reason && item.dataset.q1 !== undefined) {
      var q1 = parseFloat(item.dataset.q1);
      var q3 = parseFloat(item.dataset.q3);
      var n = parseInt(value, 10);
      var outside = value !== "" && value !== "na" && !isNaN(n) && (n < q1 || n > q3);
      var text = reason.querySelector("textarea");
      var wasHidden = reason.hidden;
      reason.hidden = !(outside || (text && text.value.trim()));
      if (wasHidden && !reason.hidden && outside) { reason.classList.add("q-reason-new"); }
    }
  }

  function updateProgress() {
    var answered = items.filter(function (item) { return checkedValue(item) !== ""; }).length;
    if (bar) { bar.value = answered; }
    countEls.forEach(function (el) { el.textContent = fmt(cfg.msgCount, { n: answered, total: total }); });
    return answered;
  }

  function applyToPage(nodeId, entry) {
    var item = form.querySelector('.q-item[data-node="' + nodeId + '"]');
    if (!item) { return false; }
    var wanted = null;
    if (entry.no_opinion) { wanted = "na"; } else if (entry.value !== undefined && entry.value !== null) { wanted = String(entry.value); }
    if (wanted !== null) {
      var radio = item.querySelector('input[type=radio][value="' + wanted + '"]');
      if (radio) { radio.checked = true; }
    }
    ["comment", "reason"].forEach(function (key) {
      if (entry[key] === undefined) { return; }
      var box = item.querySelector('textarea[data-field="' + key + '"]');
      if (!box) { return; }
      box.value = entry[key];
      var details = box.closest("details");
      if (details && entry[key]) { details.open = true; }
    });
    updateItem(item);
    return true;
  }

  // --- sending --------------------------------------------------------------------------------
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function setCsrfToken(token) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { meta.setAttribute("content", token); }
    var input = form.querySelector('input[name="csrf_token"]');
    if (input) { input.value = token; }
  }

  function refreshToken() {
    return fetch(cfg.csrfUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error("token")); })
      .then(function (body) { setCsrfToken(body.csrf_token); });
  }

  function post(answers, keepalive) {
    return fetch(cfg.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ answers: answers })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body || {} };
      });
    });
  }

  function scheduleRetry() {
    if (retryTimer || stopped) { return; }
    retryTimer = window.setTimeout(function () { retryTimer = null; flush(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, MAX_DELAY);
  }

  function acknowledge(snapshot) {
    Object.keys(snapshot).forEach(function (id) {
      if (pending[id] && pending[id].v === snapshot[id]) { delete pending[id]; }
    });
    persist();
  }

  function flush(keepalive) {
    if (sending || stopped) { return; }
    var ids = Object.keys(pending);
    if (!ids.length) { return; }
    if (navigator.onLine === false) {
      setStatus("offline", cfg.msgOffline);
      scheduleRetry();
      return;
    }
    var snapshot = {};
    var answers = ids.map(function (id) {
      var entry = pending[id];
      var answer = { node_id: parseInt(id, 10) };
      snapshot[id] = entry.v;
      ["value", "no_opinion", "comment", "reason"].forEach(function (key) {
        if (entry[key] !== undefined) { answer[key] = entry[key]; }
      });
      return answer;
    });
    sending = true;
    setStatus("saving", cfg.msgSaving);
    var tokenRetried = false;

    function handle(result) {
      var body = result.body;
      if (result.status === 200 && body.ok) {
        acknowledge(snapshot);
        retryDelay = 2000;
        setStatus("saved", fmt(cfg.msgSaved, { time: clock() }));
        return null;
      }
      if (result.status === 400 && body.error === "csrf" && !tokenRetried) {
        tokenRetried = true;
        return refreshToken().then(function () { return post(answers, keepalive); }).then(handle);
      }
      if (result.status === 400 && body.error === "refused") {
        // Refused whole and for good (e.g. the round closed): retrying cannot help.
        acknowledge(snapshot);
        if (body.closed) { stopped = true; form.classList.add("q-stopped"); }
        setStatus("error", fmt(cfg.msgRefused, { reason: body.message || "" }));
        return null;
      }
      if (result.status === 403 || result.status === 404 || result.status === 401) {
        stopped = true;  // keep the local copy: the invitation link brings the expert back
        setStatus("error", cfg.msgSession);
        return null;
      }
      setStatus("pending", cfg.msgRetry);
      scheduleRetry();
      return null;
    }

    post(answers, keepalive).then(handle).catch(function () {
      setStatus(navigator.onLine === false ? "offline" : "pending",
                navigator.onLine === false ? cfg.msgOffline : cfg.msgRetry);
      scheduleRetry();
    }).then(function () {
      sending = false;
      if (!stopped && Object.keys(pending).some(function (id) { return !(id in snapshot) || pending[id].v !== snapshot[id]; })) {
        flush();
      }
    });
  }

  // --- events ---------------------------------------------------------------------------------
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.type !== "radio" || target.name.indexOf("rate_") !== 0) { return; }
    var item = itemOf(target);
    if (!item) { return; }
    var nodeId = item.dataset.node;
    if (target.value === "na") {
      record(nodeId, { no_opinion: true, value: null });
    } else {
      record(nodeId, { value: parseInt(target.value, 10), no_opinion: false });
    }
    updateItem(item);
    updateProgress();
    flush();
  });

  form.addEventListener("input", function (event) {
    var target = event.target;
    var key = target.getAttribute && target.getAttribute("data-field");
    if (key !== "comment" && key !== "reason") { return; }
    var item = itemOf(target);
    if (!item) { return; }
    var nodeId = item.dataset.node;
    var fields = {};
    fields[key] = target.value;
    record(nodeId, fields);  // kept on this device at once; sent after a short pause
    if (key === "reason") { updateItem(item); }
    window.clearTimeout(textTimers[nodeId]);
    textTimers[nodeId] = window.setTimeout(function () { flush(); }, TEXT_DELAY);
  });

  form.addEventListener("focusout", function (event) {
    if (event.target.getAttribute && event.target.getAttribute("data-field")) { flush(); }
  });

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (!submitter || submitter.value !== "submit") { return; }
    var missing = items.filter(function (item) { return checkedValue(item) === ""; });
    if (!missing.length) { return; }
    // Point at what is missing instead of a round trip; the server checks again anyway.
    event.preventDefault();
    missing.forEach(function (item) {
      item.classList.add("q-missing");
      var note = item.querySelector(".q-missing-note");
      if (note) { note.hidden = false; }
    });
    setStatus("error", fmt(cfg.msgMissing, { n: missing.length }));
    var first = missing[0];
    first.scrollIntoView({ behavior: "smooth", block: "start" });
    var radio = first.querySelector("input[type=radio]");
    if (radio) { radio.focus({ preventScroll: true }); }
  });

  window.addEventListener("online", function () { retryDelay = 2000; flush(); });
  window.addEventListener("offline", function () {
    if (Object.keys(pending).length) { setStatus("offline", cfg.msgOffline); }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(true); }
  });
  window.addEventListener("pagehide", function () { flush(true); });
  window.setInterval(function () { if (!retryTimer) { flush(); } }, MAX_DELAY);

  // --- start: restore what this device has not sent yet ------------------------------------------
  pending = loadPending();
  var restored = 0;
  Object.keys(pending).forEach(function (id) {
    var entry = pending[id];
    if (!entry || typeof entry !== "object" || !applyToPage(id, entry)) { delete pending[id]; return; }
    if (typeof entry.v === "number" && entry.v > seq) { seq = entry.v; }
    restored += 1;
  });
  persist();
  items.forEach(updateItem);
  updateProgress();
  if (restored) {
    setStatus("pending", fmt(cfg.msgRestored, { n: restored }));
    flush();
  }
})();
