// Study set-up pages: small enhancements; every page works without them.
(function () {
  "use strict";

  // Settings: show the custom thresholds only when "Custom thresholds" is chosen.
  function syncRuleMode() {
    var custom = document.querySelector("[data-custom-rule]");
    if (!custom) { return; }
    var checked = document.querySelector("input[data-rule-mode]:checked");
    custom.hidden = !!checked && checked.value !== "custom";
  }
  document.addEventListener("change", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-rule-mode")) { syncRuleMode(); }
  });

  // New links: copy one link, or all of them (pseudonym, name, link per line).
  function copy(text, button) {
    navigator.clipboard.writeText(text).then(function () {
      var label = button.textContent;
      button.textContent = button.getAttribute("data-done") || "✓";
      window.setTimeout(function () { button.textContent = label; }, 1500);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    syncRuleMode();
    // A refused form: bring its first error into view (the page may be long).
    var invalid = document.querySelector("form .field-error, form .cell-error");
    if (invalid && invalid.scrollIntoView) {
      invalid.scrollIntoView({block: "center"});
      var input = invalid.querySelector("input:not([type=hidden]), textarea, select");
      if (input && input.type !== "file") { input.focus({preventScroll: true}); }
    }
    if (!(navigator.clipboard && window.isSecureContext)) {
      // Without the clipboard API a click selects the link for Ctrl+C / long press.
      document.querySelectorAll("input[data-link]").forEach(function (input) {
        input.addEventListener("focus", function () { input.select(); });
      });
      return;
    }
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var input = button.parentNode.querySelector("input[data-link]");
        copy(input.value, button);
      });
    });
    // A message (instant-message text, or a whole e-mail to copy): the textarea beside it.
    document.querySelectorAll("[data-copy-text]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var area = button.parentNode.querySelector("textarea");
        copy(area.value, button);
      });
    });
    var all = document.querySelector("[data-copy-all]");
    if (all) {
      all.hidden = false;
      all.setAttribute("data-done", "✓");
      all.addEventListener("click", function () {
        var lines = [];
        document.querySelectorAll("input[data-link]").forEach(function (input) {
          lines.push(input.getAttribute("data-who") + "\t" + input.value);
        });
        copy(lines.join("\n"), all);
      });
    }
  });
})();
