// Round dashboard: sort tables by a column, filter the indicators. Progressive enhancement:
// without JavaScript the tables are complete and in questionnaire order. No inline scripts (CSP).
(function () {
  "use strict";

  function cellValue(row, index, kind) {
    var cell = row.children[index];
    if (!cell) { return null; }
    var raw = cell.getAttribute("data-value");
    if (raw === null) { raw = cell.textContent.trim(); }
    if (kind === "num") {
      if (raw === "") { return null; }
      var number = parseFloat(raw);
      return isNaN(number) ? null : number;
    }
    return raw;
  }

  function sortBy(table, th) {
    var headRow = th.parentNode;
    var index = Array.prototype.indexOf.call(headRow.children, th);
    var kind = th.getAttribute("data-sort");
    var descending = th.getAttribute("aria-sort") === "ascending";
    Array.prototype.forEach.call(headRow.children, function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, kind), y = cellValue(b, index, kind);
      if (x === null && y === null) { return 0; }
      if (x === null) { return 1; }            // empty values always last
      if (y === null) { return -1; }
      var order = kind === "num" ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    table.querySelectorAll("thead th[data-sort]").forEach(function (th) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, th); }
      });
    });
  });

  var filters = document.querySelector("[data-filters]");
  var table = document.querySelector("table.items");
  if (!filters || !table) { return; }
  filters.hidden = false;
  var text = filters.querySelector("[data-filter-text]");
  var state = filters.querySelector("[data-filter-state]");
  var count = filters.querySelector("[data-filter-count]");
  var total = table.tBodies[0].rows.length;

  function apply() {
    var needle = text.value.trim().toLowerCase();
    var wanted = state.value;
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var ok = !needle || row.cells[0].textContent.toLowerCase().indexOf(needle) !== -1 ||
        row.getAttribute("data-code").toLowerCase().indexOf(needle) === 0;
      if (ok && wanted === "consensus") { ok = row.getAttribute("data-consensus") === "yes"; }
      if (ok && wanted === "no-consensus") { ok = row.getAttribute("data-consensus") === "no"; }
      if (ok && wanted === "unstable") { ok = row.getAttribute("data-stable") === "no"; }
      if (ok && wanted === "comments") { ok = row.getAttribute("data-comments") !== "0"; }
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown === total ? "" : shown + " / " + total;
  }
  text.addEventListener("input", apply);
  state.addEventListener("change", apply);
})();
