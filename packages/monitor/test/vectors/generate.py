#!/usr/bin/python3
"""Writes scipy-vectors.json: reference values from SciPy/NumPy for the monitor's statistics.

Run with Debian's python3-scipy (`/usr/bin/python3 generate.py`); the tests only read the JSON.
Large samples are not stored: they are described by a spec that test/vectors.ts regenerates with the same
integer LCG and IEEE arithmetic, so both sides see bit-identical data.
"""
import json
import math
import os

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance


def lcg_uniform(seed, n):
    state = seed % 4294967296
    out = []
    for _ in range(n):
        state = (1664525 * state + 1013904223) % 4294967296
        out.append(state / 4294967296)
    return out


def sample(spec):
    """Must match sample() in vectors.ts."""
    kind, n, seed = spec["kind"], spec["n"], spec["seed"]
    loc, scale = spec.get("loc", 0.0), spec.get("scale", 1.0)
    if kind == "uniform":
        return [loc + scale * u for u in lcg_uniform(seed, n)]
    if kind == "tri":  # sum of three uniforms, centred: a bell-ish shape
        us = lcg_uniform(seed, 3 * n)
        return [loc + scale * ((us[3 * i] + us[3 * i + 1]) + us[3 * i + 2] - 1.5) for i in range(n)]
    if kind == "int":  # integers 0..k-1: many ties
        k = spec["k"]
        return [loc + math.floor(u * k) for u in lcg_uniform(seed, n)]
    raise ValueError(kind)


def data(x):
    return x if isinstance(x, list) else sample(x)


out = {"generator": f"scipy {scipy.__version__}, numpy {np.__version__}"}

# ---- Jensen-Shannon distance, base 2
js_cases = [
    ([1, 0, 0], [0, 1, 0]),
    ([1, 2, 3], [1, 2, 3]),
    ([0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4]),
    ([10, 0, 5, 7], [0, 3, 9, 1]),
    ([1, 1], [1000, 1]),
    ([5], [9]),
]
rng = np.random.default_rng(7)
for k in (3, 10, 25, 60):
    p = rng.integers(0, 50, size=k).tolist()
    q = rng.integers(0, 50, size=k).tolist()
    p[0] += 1
    q[-1] += 1
    js_cases.append((p, q))
out["jensenshannon"] = [
    {"p": p, "q": q, "expected": float(distance.jensenshannon(p, q, base=2))} for p, q in js_cases
]

# ---- Wasserstein (raw samples) and the normalized form
w_cases = [
    ([0, 1, 3], [5, 6, 8]),
    ([0, 1], [0, 1]),
    ([3.4, 3.9, 7.5, 7.8], [4.5, 1.4]),
    ([1, 1, 1, 2, 2], [1, 2, 2, 2, 3, 3]),
    ([5], [5]),
    ([5, 5, 5], [7]),
    ({"kind": "tri", "n": 500, "seed": 1}, {"kind": "tri", "n": 300, "seed": 2, "loc": 0.3}),
    ({"kind": "int", "n": 2000, "seed": 3, "k": 7}, {"kind": "int", "n": 1500, "seed": 4, "k": 9}),
    ({"kind": "uniform", "n": 20000, "seed": 5, "scale": 1000}, {"kind": "tri", "n": 5000, "seed": 6, "scale": 800, "loc": 500}),
]
wass = []
for u, v in w_cases:
    du, dv = data(u), data(v)
    w = float(stats.wasserstein_distance(du, dv))
    wass.append({"u": u, "v": v, "expected": w, "normalized": w / max(float(np.std(du)), 0.001)})
out["wasserstein"] = wass

# ---- two-sample Kolmogorov-Smirnov, method='auto' (and forced asymp)
ks_cases = [
    ([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]),
    ([1, 2, 3], [1, 2, 3]),
    ([1, 2, 3, 4], [2.5, 3.5, 4.5, 5.5, 6.5, 7.5]),
    ([0.5], [0.7]),
    ([1, 1, 2, 2, 3], [1, 2, 2, 3, 3, 3, 4]),
]
ks_specs = [
    ({"kind": "tri", "n": 20, "seed": 11}, {"kind": "tri", "n": 20, "seed": 12, "loc": 0.5}),
    ({"kind": "tri", "n": 40, "seed": 13}, {"kind": "tri", "n": 55, "seed": 14, "loc": 0.2}),
    ({"kind": "uniform", "n": 100, "seed": 15}, {"kind": "tri", "n": 110, "seed": 16}),
    ({"kind": "int", "n": 300, "seed": 17, "k": 5}, {"kind": "int", "n": 250, "seed": 18, "k": 6}),
    ({"kind": "tri", "n": 1000, "seed": 19}, {"kind": "tri", "n": 1000, "seed": 20, "loc": 0.05}),
    ({"kind": "tri", "n": 3000, "seed": 21}, {"kind": "tri", "n": 2000, "seed": 22, "loc": 0.03}),
    ({"kind": "tri", "n": 10000, "seed": 23}, {"kind": "tri", "n": 9999, "seed": 24, "loc": 0.01}),
    ({"kind": "tri", "n": 10001, "seed": 25}, {"kind": "tri", "n": 12000, "seed": 26, "loc": 0.01}),
    ({"kind": "tri", "n": 30000, "seed": 27}, {"kind": "tri", "n": 20000, "seed": 28, "loc": 0.1}),
    ({"kind": "tri", "n": 20000, "seed": 29}, {"kind": "tri", "n": 15000, "seed": 30}),
    ({"kind": "tri", "n": 15000, "seed": 31}, {"kind": "tri", "n": 12, "seed": 32, "loc": 0.2}),
    ({"kind": "tri", "n": 15000, "seed": 33}, {"kind": "tri", "n": 60, "seed": 34, "loc": 0.3}),
    ({"kind": "tri", "n": 15000, "seed": 35}, {"kind": "tri", "n": 300, "seed": 36, "loc": 0.05}),
    ({"kind": "tri", "n": 12000, "seed": 37}, {"kind": "tri", "n": 5, "seed": 38, "loc": 2.0}),
    ({"kind": "tri", "n": 12000, "seed": 39}, {"kind": "tri", "n": 3, "seed": 40}),
    ({"kind": "int", "n": 20000, "seed": 41, "k": 4}, {"kind": "int", "n": 11000, "seed": 42, "k": 4}),
]
ks = []
for a, b in ks_cases + ks_specs:
    r = stats.ks_2samp(data(a), data(b), method="auto")
    ks.append({"a": a, "b": b, "statistic": float(r.statistic), "pvalue": float(r.pvalue)})
out["ks_2samp"] = ks

# ---- kstwo.sf over every branch of the Simard-L'Ecuyer selection, and the one-sided smirnov
kstwo = []
for n in (1, 2, 5, 10, 50, 100, 140, 141, 500, 1000, 5000, 20000, 100001, 400000):
    for x in (0.0005, 0.002, 0.01, 0.03, 0.05, 0.08, 0.1, 0.2, 0.3, 0.45, 0.5, 0.6, 0.9, 1.0 / n + 1e-3, 0.75 / n):
        if 0 < x <= 1:
            kstwo.append({"n": n, "x": x, "expected": float(stats.kstwo.sf(x, n))})
out["kstwo_sf"] = kstwo
smirnov = []
for n in (2, 3, 10, 100, 1000, 5000):
    for x in (0.01, 0.05, 0.1, 0.25, 0.5, 0.8, 0.95):
        smirnov.append({"n": n, "x": x, "expected": float(special.smirnov(n, x))})
out["smirnov"] = smirnov

# ---- chi-squared
out["chisquare"] = [
    {"observed": o, "statistic": float(r.statistic), "pvalue": float(r.pvalue)}
    for o in ([16, 18, 16, 14, 12, 12], [10, 20], [5, 5, 5, 5], [100, 80, 120, 95, 105, 99, 101])
    for r in [stats.chisquare(o)]
]
cont_cases = [
    ([10, 20, 30], [15, 15, 30]),
    ([100, 0], [90, 10]),
    ([5, 0, 7, 0], [0, 3, 8, 0]),
    ([1000, 2000, 3000, 10], [1100, 1900, 3100, 0]),
    ([7], [9]),
]
for k in (5, 20, 80):
    cont_cases.append((rng.integers(0, 400, size=k).tolist(), rng.integers(0, 400, size=k).tolist()))
chi = []
for r0, r1 in cont_cases:
    keep = [i for i in range(len(r0)) if r0[i] + r1[i] > 0]
    table = np.array([[r0[i] for i in keep], [r1[i] for i in keep]])
    if table.shape[1] < 2:
        stat, p, dof = 0.0, 1.0, 0
    else:
        stat, p, dof, _ = stats.chi2_contingency(table, correction=False)
    chi.append({"reference": r0, "production": r1, "statistic": float(stat), "pvalue": float(p), "dof": int(dof)})
out["chi2_contingency"] = chi
out["chi2_sf"] = [
    {"x": x, "df": df, "expected": float(stats.chi2.sf(x, df))}
    for df in (1, 2, 3, 7, 30, 200, 2000)
    for x in (0.01, 0.5, 1.0, 3.0, 10.0, 50.0, 250.0, 2100.0)
]

# ---- PSI: shares (reference value) and smoothed counts
out["psi_shares"] = [
    {"p": [0.25, 0.25, 0.25, 0.25], "q": [0.1, 0.2, 0.3, 0.4], "expected": 0.22821740957339184},
]
psi = []
for r0, r1 in [([10, 20, 30], [15, 15, 30]), ([100, 0, 5], [0, 90, 10]), ([0, 0, 4], [4, 0, 0])] + [
    (rng.integers(0, 100, size=k).tolist(), rng.integers(0, 100, size=k).tolist()) for k in (6, 22)
]:
    a = np.array(r0, dtype=float) + 1
    b = np.array(r1, dtype=float) + 1
    p, q = a / a.sum(), b / b.sum()
    psi.append({"reference": r0, "production": r1, "expected": float(np.sum((q - p) * np.log(q / p)))})
out["psi_counts"] = psi

# ---- Chebyshev distance of shares
cheb = []
for p, q in [([1, 0, 0], [0, 1, 0]), ([10, 20, 30], [15, 15, 30]), ([3, 3, 4, 0], [0, 5, 5, 5])]:
    pa, qa = np.array(p, float), np.array(q, float)
    cheb.append({"p": p, "q": q, "expected": float(distance.chebyshev(pa / pa.sum(), qa / qa.sum()))})
out["chebyshev"] = cheb

# ---- histograms: Sturges over the combined data, numpy's bin assignment
hists = []
for a, b in [
    ([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]),
    ([0.1, 0.2, 0.3], [0.3, 0.3, 0.7, 1.0]),
    ([5, 5, 5], [5, 5]),
    ({"kind": "tri", "n": 1000, "seed": 51}, {"kind": "tri", "n": 700, "seed": 52, "loc": 0.2}),
    ({"kind": "int", "n": 1024, "seed": 53, "k": 10}, {"kind": "int", "n": 1024, "seed": 54, "k": 12}),
]:
    da, db = data(a), data(b)
    edges = np.histogram_bin_edges(np.concatenate([da, db]), bins="sturges")
    ca, _ = np.histogram(da, bins=edges)
    cb, _ = np.histogram(db, bins=edges)
    hists.append({
        "a": a, "b": b, "bins": len(edges) - 1, "reference": ca.tolist(), "production": cb.tolist(),
        "js": float(distance.jensenshannon(ca, cb, base=2)),
    })
out["histogram"] = hists

# ---- model performance
y = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1]
yhat = [1, 0, 0, 1, 0, 1, 1, 0, 1, 0]
tp = sum(1 for a, p in zip(y, yhat) if a == 1 and p == 1)
fp = sum(1 for a, p in zip(y, yhat) if a == 0 and p == 1)
fn = sum(1 for a, p in zip(y, yhat) if a == 1 and p == 0)
yr = [3.0, -0.5, 2.0, 7.0, 4.25]
yrhat = [2.5, 0.0, 2.0, 8.0, 4.0]
err = np.array(yr) - np.array(yrhat)
out["performance"] = {
    "actual": y, "predicted": yhat,
    "accuracy": float(np.mean(np.array(y) == np.array(yhat))),
    "precision": tp / (tp + fp), "recall": tp / (tp + fn),
    "regression_actual": yr, "regression_predicted": yrhat,
    "mae": float(np.mean(np.abs(err))), "mse": float(np.mean(err ** 2)), "rmse": float(np.sqrt(np.mean(err ** 2))),
}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scipy-vectors.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(f"wrote {path}")
