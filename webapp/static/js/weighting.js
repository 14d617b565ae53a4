/* Concordia G1 and BWM formulas for the browser's live preview -- the same formulas as
 * weighting/ (docs/weighting.md): G1 / ratio-scoring chains, the Best-Worst Method's linear
 * model solved exactly (a small dense simplex, Bland's rule, two phases), Rezaei's (2015)
 * consistency index, the input-based consistency ratio of Liang, Brunelli & Rezaei (2020) with
 * their thresholds, and the weighted geometric mean of experts' vectors. The server's figures
 * are the record; tests/e2e/test_weighting_js.py checks these against weighting/ in chromium.
 * Exposes window.ConcordiaWeighting; no DOM access. */
(function (root) {
  "use strict";

  var G1_SCALE = [1.0, 1.2, 1.4, 1.6, 1.8];
  /* Liang et al. (2020) thresholds of the input-based CR: rows a_BW = 3..9, columns n = 3..9. */
  var CR_THRESHOLDS = {
    3: [0.1667, 0.1667, 0.1667, 0.1667, 0.1667, 0.1667, 0.1667],
    4: [0.1121, 0.1529, 0.1898, 0.2206, 0.2527, 0.2577, 0.2683],
    5: [0.1354, 0.1994, 0.2306, 0.2546, 0.2716, 0.2844, 0.2960],
    6: [0.1330, 0.1990, 0.2643, 0.2819, 0.2969, 0.3087, 0.3165],
    7: [0.1294, 0.2457, 0.2819, 0.3029, 0.3161, 0.3264, 0.3364],
    8: [0.1309, 0.2521, 0.2958, 0.3154, 0.3281, 0.3384, 0.3462],
    9: [0.1359, 0.2681, 0.3062, 0.3337, 0.3483, 0.3587, 0.3635]
  };
  var EPS = 1e-12;

  /* Weights from adjacent ratios: order[k] is the k-th listed indicator, ratios[k] =
   * w(order[k]) / w(order[k+1]); the last gets 1 and the chain runs up. Original index order. */
  function chain(order, ratios) {
    var n = order.length, k = [], s = 0, w = [], i;
    k[n - 1] = 1;
    for (i = n - 2; i >= 0; i--) k[i] = ratios[i] * k[i + 1];
    for (i = 0; i < n; i++) s += k[i];
    for (i = 0; i < n; i++) w[order[i]] = k[i] / s;
    return w;
  }

  function g1(order, ratios) { return chain(order, ratios); }
  function ratioScoring(order, ratios) { return chain(order, ratios); }

  /* Rezaei (2015): CI = ((1 + 2a) - sqrt(1 + 8a)) / 2. */
  function consistencyIndex(aBW) { return ((1 + 2 * aBW) - Math.sqrt(1 + 8 * aBW)) / 2; }

  function threshold(aBW, n) {
    var a = Math.min(9, Math.max(3, Math.round(aBW)));
    var m = Math.min(9, Math.max(3, n));
    return CR_THRESHOLDS[a][m - 3];
  }

  /* Liang et al. (2020) input-based CR: max_j |a_Bj a_jW - a_BW| / (a_BW^2 - a_BW). */
  function inputCR(best, worst, bo, ow) {
    var n = bo.length, aBW = bo[worst], by = [], cr = 0, j, v;
    for (j = 0; j < n; j++) {
      v = aBW > 1 ? Math.abs(bo[j] * ow[j] - aBW) / (aBW * aBW - aBW) : 0;
      by.push(v);
      if (v > cr) cr = v;
    }
    var t = threshold(aBW, n);
    return {cr: cr, byIndicator: by, threshold: t, acceptable: cr <= t + 1e-12};
  }

  /* Dense simplex on a tableau (rows: constraints, last column: rhs) with Bland's rule.
   * basis[i] is the basic column of row i; cost is the objective (minimised); columns in
   * `forbidden` never enter. Returns false if unbounded. */
  function simplex(t, basis, cost, forbidden) {
    var m = t.length, cols = t[0].length - 1, r = [], i, j, e, piv, best, ratio, f;
    for (j = 0; j < cols; j++) {
      r[j] = cost[j];
      for (i = 0; i < m; i++) r[j] -= cost[basis[i]] * t[i][j];
    }
    for (var iter = 0; iter < 5000; iter++) {
      e = -1;
      for (j = 0; j < cols; j++) {
        if (!forbidden[j] && r[j] < -EPS) { e = j; break; }
      }
      if (e < 0) return true;
      piv = -1; best = Infinity;
      for (i = 0; i < m; i++) {
        if (t[i][e] > EPS) {
          ratio = t[i][cols] / t[i][e];
          if (ratio < best - EPS || (Math.abs(ratio - best) <= EPS && basis[i] < basis[piv])) {
            best = ratio; piv = i;
          }
        }
      }
      if (piv < 0) return false;
      f = t[piv][e];
      for (j = 0; j <= cols; j++) t[piv][j] /= f;
      for (i = 0; i < m; i++) {
        if (i !== piv && t[i][e] !== 0) {
          f = t[i][e];
          for (j = 0; j <= cols; j++) t[i][j] -= f * t[piv][j];
        }
      }
      f = r[e];
      for (j = 0; j < cols; j++) r[j] -= f * t[piv][j];
      basis[piv] = e;
    }
    return true;
  }

  /* After phase 1 the artificial may still be basic at level 0: pivot it out on any other
   * column with a non-zero entry in its row, so phase 2 cannot raise it. */
  function pivotOut(t, basis, art) {
    var m = t.length, cols = t[0].length - 1, i, j, f, r;
    for (r = 0; r < m; r++) {
      if (basis[r] !== art) continue;
      for (j = 0; j < cols; j++) {
        if (j !== art && Math.abs(t[r][j]) > 1e-9) break;
      }
      if (j === cols) return;
      f = t[r][j];
      for (i = 0; i <= cols; i++) t[r][i] /= f;
      for (i = 0; i < m; i++) {
        if (i !== r && t[i][j] !== 0) {
          f = t[i][j];
          for (var c = 0; c <= cols; c++) t[i][c] -= f * t[r][c];
        }
      }
      basis[r] = j;
    }
  }

  /* Best-Worst Method, linear model (Rezaei 2016): min xi s.t. |w_B - a_Bj w_j| <= xi,
   * |w_j - a_jW w_W| <= xi, sum w = 1, w >= 0. Variables w_0..w_{n-1}, xi, 4n slacks, one
   * artificial for the equality row. */
  function bwm(best, worst, bo, ow) {
    var n = bo.length, nx = n + 1, ns = 4 * n, cols = nx + ns + 1, art = nx + ns;
    var t = [], basis = [], j, s, row, k = 0;
    function add(coefs) {
      row = [];
      for (var c = 0; c <= cols; c++) row.push(0);
      for (var key in coefs) row[+key] += coefs[key];
      row[nx + k] = 1;  /* slack */
      basis.push(nx + k);
      k++;
      t.push(row);
    }
    for (j = 0; j < n; j++) {
      for (s = -1; s <= 1; s += 2) {
        var c1 = {}; c1[best] = s; c1[j] = (c1[j] || 0) - s * bo[j]; c1[n] = -1; add(c1);
        var c2 = {}; c2[j] = s; c2[worst] = (c2[worst] || 0) - s * ow[j]; c2[n] = -1; add(c2);
      }
    }
    row = [];
    for (j = 0; j <= cols; j++) row.push(0);
    for (j = 0; j < n; j++) row[j] = 1;
    row[art] = 1;
    row[cols] = 1;
    t.push(row);
    basis.push(art);
    var phase1 = [], phase2 = [], none = [], noArt = [];
    for (j = 0; j < cols; j++) {
      phase1.push(j === art ? 1 : 0);
      phase2.push(j === n ? 1 : 0);
      none.push(false);
      noArt.push(j === art);
    }
    simplex(t, basis, phase1, none);
    pivotOut(t, basis, art);
    simplex(t, basis, phase2, noArt);
    var x = [];
    for (j = 0; j < cols; j++) x.push(0);
    for (var i = 0; i < t.length; i++) x[basis[i]] = t[i][cols];
    var w = [], sum = 0;
    for (j = 0; j < n; j++) { w.push(Math.max(0, x[j])); sum += w[j]; }
    for (j = 0; j < n; j++) w[j] /= sum;
    var xi = Math.max(0, x[n]), ci = consistencyIndex(bo[worst]);
    var input = inputCR(best, worst, bo, ow);
    return {weights: w, xi: xi, ci: ci, crOutput: ci > 0 ? xi / ci : 0, crInput: input.cr,
            crInputByIndicator: input.byIndicator, threshold: input.threshold,
            acceptable: input.acceptable};
  }

  /* Weighted geometric mean of experts' vectors, renormalised (weighting.aggregate). */
  function aggregate(vectors, weights) {
    var k = vectors.length, n = vectors[0].length, a = [], s = 0, g = [], i, j, tot = 0, v;
    for (i = 0; i < k; i++) { a.push(weights ? weights[i] : 1); s += a[i]; }
    for (j = 0; j < n; j++) g.push(0);
    for (i = 0; i < k; i++) {
      v = 0;
      for (j = 0; j < n; j++) v += vectors[i][j];
      for (j = 0; j < n; j++) g[j] += (a[i] / s) * Math.log(vectors[i][j] / v);
    }
    for (j = 0; j < n; j++) { g[j] = Math.exp(g[j]); tot += g[j]; }
    return g.map(function (x) { return x / tot; });
  }

  root.ConcordiaWeighting = {
    G1_SCALE: G1_SCALE, CR_THRESHOLDS: CR_THRESHOLDS, g1: g1, ratioScoring: ratioScoring,
    bwm: bwm, inputCR: inputCR, consistencyIndex: consistencyIndex, threshold: threshold,
    aggregate: aggregate
  };
})(typeof window !== "undefined" ? window : this);
