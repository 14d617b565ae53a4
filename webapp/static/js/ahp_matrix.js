// Concordia: the matrix view of an AHP block on a desktop. A toggle per block shows the
// n x n judgment matrix; each upper cell is a select bound to the same radio as the row view
// (changing one changes the other, and the live figures and autosave follow the radio's
// change event); lower cells show the reciprocal. Texts come from the page (data-msg-*).
(function () {
  "use strict";
  var form = document.getElementById("ahp-form");
  if (!form || !window.matchMedia || !window.matchMedia("(min-width: 900px)").matches) { return; }
  var cfg = form.dataset;
  var VALUES = [9, 8, 7, 6, 5, 4, 3, 2, 1, -2, -3, -4, -5, -6, -7, -8, -9];

  function text(v) { return v > 0 ? String(v) : "1/" + (-v); }
  function pairOf(block, i, j) {
    return block.querySelector('.ahp-pair[data-i="' + i + '"][data-j="' + j + '"]');
  }
  function checked(pair) {
    var c = pair.querySelector("input[type=radio]:checked");
    return c ? parseInt(c.value, 10) : null;
  }

  function build(block) {
    var names = JSON.parse(block.getAttribute("data-names")), n = names.length;
    var codes = Array.prototype.map.call(block.querySelectorAll(".ahp-pair"), function (p) {
      return [+p.dataset.i, +p.dataset.j, p.querySelector(".ahp-left .q-code").textContent,
              p.querySelector(".ahp-right .q-code").textContent];
    });
    var code = [];
    codes.forEach(function (c) { code[c[0]] = c[2]; code[c[1]] = c[3]; });
    var table = document.createElement("table"), head = table.createTHead().insertRow();
    table.className = "ahp-matrix";
    head.appendChild(document.createElement("th"));
    for (var j = 0; j < n; j++) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = code[j];
      th.title = names[j];
      head.appendChild(th);
    }
    var body = table.createTBody();
    for (var i = 0; i < n; i++) {
      var row = body.insertRow(), rh = document.createElement("th");
      rh.scope = "row";
      rh.textContent = code[i];
      rh.title = names[i];
      row.appendChild(rh);
      for (var k = 0; k < n; k++) { cell(block, row.insertCell(), i, k, code); }
    }
    return table;
  }

  function cell(block, td, i, j, code) {
    if (i === j) { td.textContent = "1"; td.className = "diag"; return; }
    if (i > j) { td.className = "lower"; td.dataset.mirror = j + "-" + i; return; }
    var pair = pairOf(block, i, j), select = document.createElement("select");
    select.setAttribute("aria-label", code[i] + " : " + code[j]);
    var empty = document.createElement("option");
    empty.value = "";
    empty.textContent = "–";
    select.appendChild(empty);
    VALUES.forEach(function (v) {
      var o = document.createElement("option");
      o.value = String(v);
      o.textContent = text(v);
      select.appendChild(o);
    });
    select.addEventListener("change", function () {
      var input = pair.querySelector('input[value="' + select.value + '"]');
      if (input) {
        input.checked = true;
        input.dispatchEvent(new Event("change", {bubbles: true}));
      }
    });
    td.appendChild(select);
    td.dataset.pair = i + "-" + j;
  }

  function sync(block, table) {
    Array.prototype.forEach.call(table.querySelectorAll("td[data-pair]"), function (td) {
      var ij = td.dataset.pair.split("-"), v = checked(pairOf(block, ij[0], ij[1]));
      td.querySelector("select").value = v === null ? "" : String(v);
      var mirror = table.querySelector('td[data-mirror="' + td.dataset.pair + '"]');
      if (mirror) { mirror.textContent = v === null ? "" : text(-v === -1 ? 1 : -v); }
    });
  }

  Array.prototype.forEach.call(form.querySelectorAll(".ahp-block"), function (block) {
    var button = document.createElement("button"), table = null;
    button.type = "button";
    button.className = "button small secondary ahp-matrix-toggle";
    button.textContent = cfg.msgMatrix;
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      if (!table) {
        table = build(block);
        block.querySelector(".q-section-head").appendChild(table);
      }
      table.hidden = open;
      button.setAttribute("aria-expanded", open ? "false" : "true");
      button.textContent = open ? cfg.msgMatrix : cfg.msgRows;
      block.classList.toggle("is-matrix", !open);
      sync(block, table);
    });
    block.addEventListener("change", function () { if (table) { sync(block, table); } });
    block.querySelector(".q-section-head").appendChild(button);
  });
})();
