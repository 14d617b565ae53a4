// Round 0 (open proposals): show only the fields the chosen kind of proposal needs, and
// autosave the general comment (POST JSON {"comment": …} to the form's own URL, the
// page's CSRF token in X-CSRF-Token). Without JavaScript both forms post as usual and the
// fields of each kind sit in a <details>, the chosen kind's open. The coordinator's preview
// (no save URL) gets the field switching but no autosave.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function showFieldsFor(form) {
    var kind = form.querySelector("select[name=kind]");
    if (!kind) { return; }
    function apply() {
      form.querySelectorAll("[data-r0-for]").forEach(function (box) {
        var wanted = box.getAttribute("data-r0-for").split(" ");
        box.hidden = wanted.indexOf(kind.value) === -1;
        if (box.tagName === "DETAILS") {   // folded for readers without JavaScript: here open, no summary
          box.open = true;
          box.classList.add("r0-enhanced");
        }
      });
    }
    kind.addEventListener("change", apply);
    apply();
  }

  function autosave(form) {
    var area = form.querySelector("textarea");
    var status = form.querySelector("[data-status]");
    if (!area || !status || !form.getAttribute("data-save-url")) { return; }   // the preview saves nothing
    var timer = null;
    var sent = area.value;
    function say(text) { status.textContent = text; }
    function save() {
      timer = null;
      var text = area.value;
      if (text === sent) { return; }
      say(form.getAttribute("data-msg-saving"));
      fetch(form.getAttribute("data-save-url"), {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken()},
        body: JSON.stringify({comment: text})
      }).then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      }).then(function (result) {
        if (result.ok) {
          sent = text;
          var now = new Date();
          var hm = ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
          say(form.getAttribute("data-msg-saved").replace("{time}", hm));
        } else {
          say(form.getAttribute("data-msg-refused").replace("{reason}", result.body.message || ""));
        }
      }).catch(function () {
        say(form.getAttribute("data-msg-offline"));
        timer = setTimeout(save, 5000);
      });
    }
    area.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, 800);
    });
    area.addEventListener("blur", function () {
      if (timer) { clearTimeout(timer); }
      save();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-r0-proposal]").forEach(showFieldsFor);
    document.querySelectorAll("form[data-r0-comment]").forEach(autosave);
  });
})();
