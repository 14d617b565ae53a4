/* G1 and BWM questionnaire: tap-in-order for G1, live weights (window.ConcordiaWeighting,
 * the same formulas as weighting/), BWM consistency ratio with its limit and a hint, and
 * autosave of each completed block to /api/v1/rounds/<id>/weight-answers.
 * The page works without this file (plain selects and a form post). */
(function () {
  "use strict";
  var form = document.getElementById("g1bwm-form") || document.getElementById("g1bwm-readonly");
  if (!form || !window.ConcordiaWeighting) return;
  var W = window.ConcordiaWeighting, method = form.dataset.method, editable = form.id === "g1bwm-form";
  var status = form.querySelector("[data-status]"), count = form.querySelector("[data-count]");
  var bar = form.querySelector(".q-bar");
  var csrf = form.querySelector("input[name=csrf_token]").value;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function ids(block) { return JSON.parse(block.dataset.ids); }
  function names(block) { return JSON.parse(block.dataset.names); }
  function num(select) { return select && select.value !== "" ? Number(select.value) : null; }

  /* --- G1 --- */
  function g1Answer(block) {
    var kids = ids(block), order = [], ratios = [], k, v;
    var selects = block.querySelectorAll("select[data-order]");
    for (k = 0; k < selects.length; k++) {
      v = num(selects[k]);
      if (v === null || order.indexOf(v) >= 0 || kids.indexOf(v) < 0) return null;
      order.push(v);
    }
    var rs = block.querySelectorAll("select[data-ratio]");
    for (k = 0; k < rs.length; k++) {
      v = num(rs[k]);
      if (v === null) return null;
      ratios.push(v);
    }
    return {block: Number(block.dataset.block), order: order, ratios: ratios};
  }
  function g1Weights(block, answer) {
    var kids = ids(block);
    return W.g1(answer.order.map(function (id) { return kids.indexOf(id); }), answer.ratios);
  }
  function tapSetup(block) {
    var tap = block.querySelector("[data-tap]"), taken = [];
    if (!tap || !editable) return;
    tap.hidden = false;
    var selects = block.querySelectorAll("select[data-order]");
    tap.addEventListener("click", function (e) {
      var btn = e.target.closest("button");
      if (!btn) return;
      if (btn.hasAttribute("data-reset")) {
        taken = [];
        selects.forEach(function (s) { s.value = ""; });
        tap.querySelectorAll("[data-node]").forEach(function (b) { b.disabled = false; b.removeAttribute("data-place"); });
      } else if (taken.length < selects.length) {
        selects[taken.length].value = btn.dataset.node;
        taken.push(btn.dataset.node);
        btn.disabled = true;
        btn.setAttribute("data-place", String(taken.length));
        if (taken.length === selects.length - 1) {  // the last one follows
          tap.querySelectorAll("[data-node]:not([disabled])").forEach(function (b) {
            selects[taken.length].value = b.dataset.node; taken.push(b.dataset.node);
            b.disabled = true; b.setAttribute("data-place", String(taken.length));
          });
        }
      }
      changed(block);
    });
  }

  /* --- BWM --- */
  function bwmAnswer(block) {
    var kids = ids(block), best = num(block.querySelector("[data-best]")), worst = num(block.querySelector("[data-worst]"));
    if (best === null || worst === null || best === worst) return null;
    var bo = {}, ow = {}, ok = true;
    kids.forEach(function (id) {
      var b = id === best ? 1 : num(block.querySelector('[data-bo="' + id + '"]'));
      var o = id === worst ? 1 : id === best ? b : num(block.querySelector('[data-ow="' + id + '"]'));
      if (b === null || o === null) ok = false;
      if (id !== best) bo[id] = b;
      if (id !== best && id !== worst) ow[id] = o;
    });
    if (!ok) return null;
    return {block: Number(block.dataset.block), best: best, worst: worst, best_to_others: bo, others_to_worst: ow};
  }
  function bwmSync(block) {
    var best = num(block.querySelector("[data-best]")), worst = num(block.querySelector("[data-worst]"));
    ids(block).forEach(function (id) {
      var bo = block.querySelector('[data-bo="' + id + '"]'), ow = block.querySelector('[data-ow="' + id + '"]');
      if (id === best) { bo.value = "1"; }
      if (id === worst) { ow.value = "1"; }
      if (id === best && worst !== null) ow.value = block.querySelector('[data-bo="' + worst + '"]').value;
      bo.disabled = !editable || id === best;
      ow.disabled = !editable || id === worst || id === best;
    });
  }
  function bwmResult(block, answer) {
    var kids = ids(block), b = kids.indexOf(answer.best), w = kids.indexOf(answer.worst);
    var bo = kids.map(function (id) { return id === answer.best ? 1 : answer.best_to_others[id]; });
    var ow = kids.map(function (id) { return id === answer.worst ? 1 : id === answer.best ? bo[w] : answer.others_to_worst[id]; });
    return W.bwm(b, w, bo, ow);
  }

  /* --- shared --- */
  function show(block, weights, result) {
    ids(block).forEach(function (id, i) {
      var li = block.querySelector('[data-bar="' + id + '"]');
      li.querySelector("meter").value = weights ? weights[i] : 0;
      li.querySelector("[data-weight]").textContent = weights ? weights[i].toFixed(4) : "–";
    });
    block.classList.toggle("is-done", !!weights);
    if (method !== "bwm") return;
    var cr = block.querySelector("[data-cr]"), hint = block.querySelector("[data-hint]");
    if (!result) { cr.textContent = ""; hint.hidden = true; return; }
    cr.textContent = fill(form.dataset.msgCr, {cr: result.crInput.toFixed(3), limit: result.threshold.toFixed(4)});
    cr.classList.toggle("is-over", !result.acceptable);
    if (!result.acceptable) {
      var by = result.crInputByIndicator, j = by.indexOf(Math.max.apply(null, by));
      hint.textContent = fill(form.dataset.msgOver, {name: names(block)[j]});
    }
    hint.hidden = result.acceptable;
  }
  function progress() {
    var blocks = form.querySelectorAll(".g1bwm-block"), done = form.querySelectorAll(".g1bwm-block.is-done").length;
    if (bar) bar.value = done;
    if (count) count.textContent = fill(form.dataset.msgBlocks, {n: done, total: blocks.length});
  }
  function save(answer) {
    if (!editable) return;
    status.textContent = form.dataset.msgSaving;
    fetch(form.dataset.saveUrl, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({blocks: [answer]})})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (res) {
        status.textContent = res.ok ? fill(form.dataset.msgSaved, {time: new Date().toLocaleTimeString()})
          : fill(form.dataset.msgRefused, {reason: res.body.message || ""});
      })
      .catch(function () { status.textContent = form.dataset.msgOffline; });
  }
  function changed(block, quiet) {
    if (method === "bwm") bwmSync(block);
    var answer = method === "g1" ? g1Answer(block) : bwmAnswer(block), weights = null, result = null;
    if (answer) {
      if (method === "g1") weights = g1Weights(block, answer);
      else { result = bwmResult(block, answer); weights = result.weights; }
    }
    show(block, weights, result);
    progress();
    if (answer && !quiet) save(answer);
  }

  form.querySelectorAll(".g1bwm-block").forEach(function (block) {
    if (method === "g1") tapSetup(block);
    block.addEventListener("change", function () { changed(block); });
    changed(block, true);
  });
})();
