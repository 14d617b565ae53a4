/* Concordia AHP formulas for the browser's live preview -- the same formulas as ahp/
 * (docs/ahp.md): principal eigenvector by repeated squaring, row geometric mean, CI/CR with
 * Saaty's RI table, GCI (Aguarón & Moreno-Jiménez 2003), Harker's completion and the
 * leave-one-out revision hints scored by the CR after the change. The server's figures are
 * the record; tests/e2e/test_ahp_js.py checks these against ahp/ to 1e-9.
 * Exposes window.ConcordiaAHP; no DOM access. */
(function (root) {
  "use strict";

  var RI_SAATY = [0, 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                  1.52, 1.54, 1.56, 1.58, 1.59];
  var SAATY_CR_LIMITS = {3: 0.05, 4: 0.08};
  var GCI_THRESHOLDS = {3: 0.31, 4: 0.35};
  var TOL = 1e-13, MAX_SQUARINGS = 40, FIRST_CHECK = 4;

  function zeros(n) { var r = []; for (var i = 0; i < n; i++) r.push(0); return r; }
  function copy(a) { return a.map(function (row) { return row.slice(); }); }

  function matmul(a, b) {
    var n = a.length, c = [], i, j, k, s;
    for (i = 0; i < n; i++) {
      c.push(zeros(n));
      for (k = 0; k < n; k++) {
        s = a[i][k];
        if (s === 0) continue;
        for (j = 0; j < n; j++) c[i][j] += s * b[k][j];
      }
    }
    return c;
  }

  function scaled(b) {
    var d = b[0][0];
    return b.map(function (row) { return row.map(function (x) { return x / d; }); });
  }

  /* Perron vector (sum 1) and root of a positive (or Harker) matrix. */
  function perron(a) {
    var n = a.length, b = scaled(a), prev = b.map(function (r) { return r[0]; }), col = prev, k, i, done;
    for (k = 0; k < MAX_SQUARINGS; k++) {
      b = scaled(matmul(b, b));
      col = b.map(function (r) { return r[0]; });
      done = k + 1 >= FIRST_CHECK;
      for (i = 0; i < n && done; i++) if (!(Math.abs(col[i] - prev[i]) <= TOL * col[i])) done = false;
      if (done) break;
      prev = col;
    }
    var sum = col.reduce(function (s, x) { return s + x; }, 0);
    var w = col.map(function (x) { return x / sum; });
    var lam = 0;
    for (i = 0; i < n; i++) for (var j = 0; j < n; j++) lam += a[i][j] * w[j];
    return {w: w, lambdaMax: lam};
  }

  function geometric(a) {
    var n = a.length;
    var lw = a.map(function (row) {
      return row.reduce(function (s, x) { return s + Math.log(x); }, 0) / n;
    });
    var top = Math.max.apply(null, lw);
    var w = lw.map(function (x) { return Math.exp(x - top); });
    var sum = w.reduce(function (s, x) { return s + x; }, 0);
    return w.map(function (x) { return x / sum; });
  }

  function priorities(a, method) {
    if (method === "geometric") return geometric(a);
    return perron(a).w;
  }

  function randomIndex(n) {
    if (n <= 2) return 0;
    if (n >= RI_SAATY.length) throw new Error("n must be at most 15");
    return RI_SAATY[n];
  }

  function crThreshold(threshold, n) {
    if (threshold === "saaty") return SAATY_CR_LIMITS[n] || 0.10;
    return threshold == null ? 0.10 : threshold;
  }

  function gciThresholdFor(n) { return GCI_THRESHOLDS[Math.max(n, 3)] || 0.37; }

  function gci(a) {
    var n = a.length;
    if (n <= 2) return 0;
    var lg = geometric(a).map(Math.log), s = 0, e;
    for (var i = 0; i < n; i++) for (var j = 0; j < n; j++) {
      e = Math.log(a[i][j]) - lg[i] + lg[j];
      s += e * e;
    }
    return s / ((n - 1) * (n - 2));
  }

  /* CI, CR, GCI of a complete matrix; options {threshold, gciThreshold}. */
  function consistency(a, options) {
    options = options || {};
    var n = a.length, p = perron(a), lam = n, ci = 0, cr = 0, g = 0;
    if (n > 2) {
      lam = p.lambdaMax;
      ci = Math.max((lam - n) / (n - 1), 0);
      cr = ci / randomIndex(n);
      g = gci(a);
    }
    var t = crThreshold(options.threshold, n);
    var gt = options.gciThreshold == null ? gciThresholdFor(n) : options.gciThreshold;
    return {n: n, lambdaMax: lam, ci: ci, ri: randomIndex(n), cr: cr, gci: g,
            acceptable: cr <= t, threshold: t, gciThreshold: gt, gciAcceptable: g <= gt,
            priorities: p.w};
  }

  function roundToScale(r) {
    var up = r >= 1, big = up ? r : 1 / r;
    var q = Math.min(Math.max(Math.floor(big + (0.5 + 1e-9)), 1), 9);
    return up ? q : 1 / q;
  }

  function isMissing(x) { return x === null || x === undefined || (typeof x === "number" && isNaN(x)); }

  function connected(a) {
    var n = a.length, seen = [0], mark = {0: true}, i, j;
    for (i = 0; i < seen.length; i++) for (j = 0; j < n; j++) {
      if (!mark[j] && !isMissing(a[seen[i]][j])) { mark[j] = true; seen.push(j); }
    }
    return seen.length === n;
  }

  function harker(a) {
    return a.map(function (row, i) {
      var m = 0, out = row.map(function (x) { if (isMissing(x)) { m++; return 0; } return x; });
      out[i] += m;
      return out;
    });
  }

  /* Harker's completion: {priorities, filled}; null if the comparison graph is not connected. */
  function complete(a) {
    if (!connected(a)) return null;
    var w = perron(harker(a)).w;
    var filled = a.map(function (row, i) {
      return row.map(function (x, j) { return isMissing(x) ? w[i] / w[j] : x; });
    });
    return {priorities: w, filled: filled};
  }

  /* The k judgments whose change to the value the other judgments imply lowers the CR most. */
  function revisionHints(a, k) {
    var n = a.length, hints = [], i, j;
    if (n <= 2) return hints;
    var ri = randomIndex(n);
    for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) {
      var left = copy(a);
      left[i][j] = left[j][i] = NaN;
      var wo = perron(harker(left)).w;
      var suggested = roundToScale(wo[i] / wo[j]);
      var current = a[i][j];
      if (!(Math.abs(suggested - current) > 1e-9 * current)) continue;
      var trial = copy(a);
      trial[i][j] = suggested;
      trial[j][i] = 1 / suggested;
      var lam = perron(trial).lambdaMax;
      hints.push({i: i, j: j, current: current, suggested: suggested,
                  crAfter: Math.max((lam - n) / (n - 1), 0) / ri, order: hints.length});
    }
    hints.sort(function (x, y) {  // equal CRs (to rounding): by position
      var d = x.crAfter - y.crAfter;
      return Math.abs(d) > 1e-12 ? d : x.order - y.order;
    });
    return hints.slice(0, k == null ? 3 : k);
  }

  /* Signed Saaty value (k > 1: row k times as important; -k: column) -> ratio a_rc. */
  function ratio(v) { return v > 0 ? v : -1 / v; }
  /* Ratio on the scale -> signed value (1/k -> -k). */
  function signed(r) { return r >= 1 ? Math.round(r) : -Math.round(1 / r); }

  /* Matrix from signed upper-triangle values keyed "i-j" (missing -> NaN). */
  function fromSigned(n, values) {
    var a = [], i, j, v;
    for (i = 0; i < n; i++) { a.push(zeros(n)); a[i][i] = 1; }
    for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) {
      v = values[i + "-" + j];
      if (v === undefined || v === null || v === "") { a[i][j] = a[j][i] = NaN; continue; }
      a[i][j] = ratio(Number(v));
      a[j][i] = 1 / a[i][j];
    }
    return a;
  }

  root.ConcordiaAHP = {
    perron: perron, priorities: priorities, consistency: consistency, gci: gci,
    randomIndex: randomIndex, roundToScale: roundToScale, complete: complete,
    revisionHints: revisionHints, ratio: ratio, signed: signed, fromSigned: fromSigned,
    isMissing: isMissing
  };
})(window);
