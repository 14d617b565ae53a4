/* The evaluator's form saves each score, grade and evidence note as it is entered.
 * POST {code, value|grade, evidence} to the form's data-autosave-url with the page's CSRF token.
 * A refusal (off the scale, after the deadline) is shown beside the indicator; after the deadline
 * the form locks. Without JavaScript, or offline, the "Save" button posts the whole form. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.fetch || form.hasAttribute("data-locked")) { return; }
  var url = form.getAttribute("data-autosave-url");
  var status = document.getElementById("autosave-status");
  var timers = {};

  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function show(text, kind) {
    if (!status) { return; }
    status.hidden = false;
    status.textContent = text;
    status.className = "autosave-status" + (kind ? " autosave-" + kind : "");
  }

  function lock() {
    form.setAttribute("data-locked", "1");
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.evaluator-group"), function (f) { f.disabled = true; });
    var save = form.querySelector(".evaluator-save");
    if (save) { save.hidden = true; }
  }

  function bodyFor(field) {
    var name = field.name, code = name.slice(2), body = { code: code };
    if (name.indexOf("s:") === 0) {
      var raw = field.value.trim().replace(",", ".");
      if (raw === "") { body.value = null; }
      else if (!isFinite(Number(raw))) { return null; }
      else { body.value = Number(raw); }
    } else if (name.indexOf("g:") === 0) {
      body.grade = field.value === "" ? null : parseInt(field.value, 10);
    } else if (name.indexOf("e:") === 0) {
      body.evidence = field.value;
    } else { return null; }
    return body;
  }

  function save(field) {
    var body = bodyFor(field);
    var item = field.closest(".evaluator-item");
    var note = item ? item.querySelector(".item-status") : null;
    if (!body) { return; }
    show(status.getAttribute("data-saving"));
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": token() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok && data.ok) {
          show(status.getAttribute("data-saved") + " · " + data.scored + " / " + data.total, "ok");
          if (note) { note.textContent = ""; note.className = "item-status"; }
          if (item) { item.classList.remove("item-refused"); }
          return;
        }
        var message = data.message || response.statusText;
        if (note) { note.textContent = message; note.className = "item-status item-error"; }
        if (item) { item.classList.add("item-refused"); }
        show(message, "error");
        if (data.closed) { lock(); }
      });
    }).catch(function () { show(status.getAttribute("data-offline"), "error"); });
  }

  function later(field, delay) {
    var key = field.name;
    if (timers[key]) { window.clearTimeout(timers[key]); }
    timers[key] = window.setTimeout(function () { delete timers[key]; save(field); }, delay);
  }

  form.addEventListener("input", function (event) {
    var f = event.target;
    if (f.name && (f.name.indexOf("s:") === 0 || f.name.indexOf("e:") === 0)) { later(f, 700); }
  });
  form.addEventListener("change", function (event) {
    var f = event.target;
    if (!f.name) { return; }
    if (f.name.indexOf("g:") === 0) { save(f); } else { later(f, 0); }
  });
})();
