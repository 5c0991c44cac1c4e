#!/usr/bin/env python3
"""What limits `c12 simulate --deferral` at the 24 h window (issue 14; docs/deferral.md).

A numpy replica of C12's forecaster (src/carbon/forecast.c) and of the deferral replay
(src/sim/deferral.c, the rule of src/batch/plan.c for 30-minute jobs on 30-minute steps): it
reproduces the C figures exactly (first row), then measures other forecasters, other decision
rules and what perfect information would be worth. Rows marked "peeks" are bounds, not schedulers.

    python3 scripts/deferral_study.py [--trace FILE.csv]

numpy only; about two minutes on one core.
"""
import argparse
import csv
import datetime
import math
import pathlib
import warnings

import numpy as np

STEP, DAY, PER_DAY = 1800000, 86400000, 48
ROOT = pathlib.Path(__file__).resolve().parent.parent


def load(path):
    rows = list(csv.reader(open(path)))[1:]
    t = [int(datetime.datetime.fromisoformat(r[0].replace("Z", "+00:00")).timestamp() * 1000) for r in rows]
    k0 = t[0] // STEP
    v = np.full(t[-1] // STEP - k0 + 1, np.nan)
    for ti, r in zip(t, rows):
        v[ti // STEP - k0] = float(r[1])
    return k0, v


def forecasts(k0, v, H, feats="c12", prof_hl=7.0, wd_hl=28.0, bl_hl=28.0, abar_h=6.0):
    """F[k, h-1]: the forecast of step k-1+h made after steps < k, as forecast.c makes it
    (feats: "c12" = (a, abar); "+yday" adds the anomaly 24 h before the target; "+trend" adds
    a(t) - a(t-2 h))."""
    n = len(v)
    a_prof, a_wd = 1 - 0.5 ** (1 / prof_hl), 1 - 0.5 ** (7 / (wd_hl * PER_DAY))
    a_ab, lam = min(1, STEP / (abar_h * 3600000)), 0.5 ** (1 / (bl_hl * PER_DAY))
    prof, wd, hz = np.full(PER_DAY, np.nan), np.zeros(7), np.arange(1, H + 1)
    A, AB = np.full(n, np.nan), np.full(n, np.nan)
    D = 2 + (feats != "c12")
    Sxx, Sxy, X = np.zeros((H, D, D)), np.zeros((H, D)), {}
    F = np.full((n, H), np.nan)
    klast, xlast = -1, 0.0
    for k in range(n):
        if klast >= 0:
            kk = klast + hz + k0
            base = prof[(kk * STEP % DAY) // STEP] + wd[((kk * STEP) // DAY + 3) % 7]
            M = Sxx + (1e-3 * np.trace(Sxx, axis1=1, axis2=2) + 1e-9)[:, None, None] * np.eye(D)
            w = np.linalg.solve(M, Sxy[:, :, None])[:, :, 0]
            F[k] = np.maximum(np.where(np.isnan(base), xlast, base + np.sum(w * X[klast], 1)), 0)
        x = v[k]
        if not np.isfinite(x):
            continue
        s, d = ((k + k0) * STEP % DAY) // STEP, int((((k + k0) * STEP) // DAY + 3) % 7)
        if np.isnan(prof[s]):
            prof[s] = x - wd[d]
        a = x - (prof[s] + wd[d])
        for h in range(1, H + 1):
            if k - h in X:
                xv = X[k - h][h - 1]
                Sxx[h - 1] = lam * Sxx[h - 1] + np.outer(xv, xv)
                Sxy[h - 1] = lam * Sxy[h - 1] + xv * a
        A[k] = a
        AB[k] = a if klast < 0 or k - klast > abar_h * 2 else AB[klast] + a_ab * (a - AB[klast])
        cols = [np.full(H, A[k]), np.full(H, AB[k])]
        if feats == "+yday":
            src = k + hz - PER_DAY
            cols.append(np.nan_to_num(np.where(src >= 0, A[np.clip(src, 0, n - 1)], 0)))
        if feats == "+trend":
            cols.append(np.full(H, A[k] - (np.nan_to_num(A[k - 4]) if k >= 4 else 0)))
        X[k] = np.stack(cols, 1)
        X.pop(k - H - 1, None)
        prof[s] += a_prof * (x - wd[d] - prof[s])
        wd[d] += a_wd * (x - prof[s] - wd[d])
        klast, xlast = k, x
    return F


def truth(v, H):
    T = np.full((len(v), H), np.nan)
    for h in range(H):
        T[: len(v) - h, h] = v[h:]
    return T


def arrivals(k0, v, win):
    out = []
    for k in range(7 * PER_DAY, len(v) - win + 1):
        t = (k + k0) * STEP
        day, ms = t // DAY, t % DAY
        if (day + 3) % 7 < 5 and 9 * 3600000 <= ms < 17 * 3600000:
            out.append(k)
    return out


def simulate(k0, v, F, win, rule):
    """deferral.c's replay: at each step every waiting job starts if rule says so or slack is gone."""
    arr = c12 = orc = 0.0
    todo = arrivals(k0, v, win)
    waiting, i = [], 0
    for k in range(len(v)):
        while i < len(todo) and todo[i] == k:
            waiting.append(k)
            i += 1
        kept = []
        for a in waiting:
            last = a + win - 1
            if k >= last or rule(F, k, last):
                best = np.nanmin(v[a : a + win])
                if np.isfinite(v[a]) and np.isfinite(v[k]) and np.isfinite(best):
                    arr, c12, orc = arr + v[a], c12 + v[k], orc + best
            else:
                kept.append(a)
        waiting = kept
    return (arr - c12) / (arr - orc)


def rule_min(F, k, last):  # plan.c: start unless a later step is forecast cleaner
    f = F[k, : last - k + 1]
    return not np.nanmin(f[1:]) < f[0]


def online_sigma(v, F, hl_days=28.0):
    """S[k, h-1]: RMS error at horizon h of the forecasts whose target came before step k."""
    n, H = F.shape
    E, lam = truth(v, H) - F, 0.5 ** (1 / (hl_days * PER_DAY))
    S, s2, w = np.full((n, H), np.nan), np.zeros(H), np.zeros(H)
    for k in range(n):
        S[k] = np.sqrt(s2 / np.where(w > 0, w, 1))
        for h in range(1, H + 1):
            if k + 1 - h >= 0 and np.isfinite(E[k + 1 - h, h - 1]):
                s2[h - 1] = lam * s2[h - 1] + E[k + 1 - h, h - 1] ** 2
                w[h - 1] = lam * w[h - 1] + 1
    return S


def rule_stop(S, scale):
    """Optimal stopping: start if now <= the value of waiting, computed backwards with each
    later step's forecast revised by an independent N(0, scale^2 (sigma_h^2 - sigma_1^2))."""
    def emin(mu, sd, c):
        if sd <= 1e-9:
            return min(mu, c)
        z = (c - mu) / sd
        return c - ((c - mu) * 0.5 * (1 + math.erf(z / math.sqrt(2))) + sd * math.exp(-z * z / 2) / math.sqrt(2 * math.pi))

    def rule(F, k, last):
        f, s = F[k, : last - k + 1], S[k, : last - k + 1]
        V = f[-1]
        for j in range(len(f) - 2, 0, -1):
            V = emin(f[j], scale * math.sqrt(max(s[j] ** 2 - s[0] ** 2, 0)), V)
        return f[0] <= V
    return rule


def rule_penalty(S, c):  # far forecasts count c sigma dirtier (the winner's curse of a noisy minimum)
    def rule(F, k, last):
        f, s = F[k, : last - k + 1], S[k, : last - k + 1]
        return not np.nanmin(f[1:] + c * np.sqrt(np.maximum(s[1:] ** 2 - s[0] ** 2, 0))) < f[0]
    return rule


def rule_margin(m):  # wait only for a step forecast m g cleaner (m < 0: wait more)
    return lambda F, k, last: not np.nanmin(F[k, 1 : last - k + 1]) < F[k, 0] - m


def rule_horizon(L):  # look at most L steps ahead
    return lambda F, k, last: not np.nanmin(F[k, 1 : min(last - k, L) + 1]) < F[k, 0]


def rule_quantile(v, p):  # also start when now is in the last 14 days' cleanest p%
    def rule(F, k, last):
        return F[k, 0] <= np.nanpercentile(v[max(0, k - 14 * PER_DAY) : k], p) or rule_min(F, k, last)
    return rule


def ar_in_sample(k0, v, F):
    """A multi-lag AR of the anomaly from a 7-day same-slot mean, one fit per horizon on the
    whole year (so its fit peeks: a bound on what more lags buy)."""
    n, H = F.shape
    b = np.full(n, np.nan)
    for k in range(7 * PER_DAY, n):
        b[k] = np.nanmean(v[k - np.arange(1, 8) * PER_DAY])
    a = v - b

    def lag(x, l):
        out = np.full(n, np.nan)
        out[l:] = x[: n - l]
        return out
    X = np.stack([lag(a, l) for l in (0, 1, 2, 4, 8, 12, 24, 47)] + [np.ones(n)], 1)
    G = F.copy()
    origins = np.arange(8 * PER_DAY - 1, n - 1)
    for h in range(1, H + 1):
        o = origins[origins + h < n]
        Xo, y = X[o], a[o + h]
        ok = np.isfinite(Xo).all(1) & np.isfinite(y)
        w, *_ = np.linalg.lstsq(Xo[ok], y[ok], rcond=None)
        pred = b[o + h] + np.nan_to_num(Xo @ w)
        G[o + 1, h - 1] = np.where(np.isfinite(pred), pred, G[o + 1, h - 1])
    return G


def clairvoyant_one_step(k0, v, F, win):
    """Follow plan.c's rule, but at each step start iff now beats what following it from the
    next step would really cost (known in hindsight): a bound on improving the rule by one step."""
    arr = imp = orc = 0.0
    for a in arrivals(k0, v, win):
        last = a + win - 1
        if np.isnan(v[a : a + win]).any():
            continue
        J = np.zeros(win)
        J[-1] = v[last]
        for i in range(win - 2, -1, -1):
            J[i] = v[a + i] if rule_min(F, a + i, last) else J[i + 1]
        cost = next((v[a + i] for i in range(win - 1) if v[a + i] <= J[i + 1]), v[last])
        arr, imp, orc = arr + v[a], imp + cost, orc + v[a : a + win].min()
    return (arr - imp) / (arr - orc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trace", default=str(ROOT / "data/carbon/gb_2023-01-01_2023-12-31.csv"))
    o = ap.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)  # nanmin over a gap's all-NaN slices
    k0, v = load(o.trace)
    wins = (8, 16, 48)
    F = forecasts(k0, v, 48)
    T = truth(v, 48)
    S = online_sigma(v, F)
    print("| variant | " + " | ".join(f"{w // 2} h" for w in wins) + " |")
    print("|---|" + "---|" * len(wins))

    def row(name, G, rule=rule_min, only24=False):
        cells = [f"{simulate(k0, v, G, w, rule):.3f}" if (w == 48 or not only24) else "" for w in wins]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)

    row("C12 now: forecast.c, plan.c's rule (= `c12 simulate --deferral`)", F)
    for scale in (1.0, 0.5, 0.2, 0.1):
        row(f"rule: optimal stopping, errors from the past, scale {scale}", F, rule_stop(S, scale), only24=scale < 0.5)
    for c in (0.2, 0.5, 1.0):
        row(f"rule: far forecasts {c} sigma dirtier", F, rule_penalty(S, c), only24=True)
    for m in (3, 6):
        row(f"rule: wait only for a step forecast {m} g cleaner than now", F, rule_margin(m), only24=True)
    row("rule: start only when now is forecast 3 g under every later step", F, rule_margin(-3), only24=True)
    for L in (24, 32, 40):
        row(f"rule: look {L // 2} h ahead at most", F, rule_horizon(L), only24=True)
    for p in (2, 5, 10):
        row(f"rule: also start in the last 14 days' cleanest {p}%", F, rule_quantile(v, p), only24=True)
    for name, kw in (("+ the anomaly 24 h before the target", {"feats": "+yday"}),
                     ("+ the anomaly's change over 2 h", {"feats": "+trend"}), ("profile half-life 3 d", {"prof_hl": 3.0}),
                     ("blend half-life 90 d", {"bl_hl": 90.0}), ("recent mean over 2 h", {"abar_h": 2.0})):
        row(f"forecaster: {name}", forecasts(k0, v, 48, **kw))
    G = ar_in_sample(k0, v, F)
    row("forecaster: multi-lag AR fitted on the whole year (peeks)", G)
    row("forecaster: its average with C12's (peeks)", (F + G) / 2)
    row("as `c12 serve` on a trace: the step now known, the forecast made after it (peeks one step)", F,
        lambda F_, k, last: k + 1 >= len(v) or not np.nanmin(F_[k + 1, : last - k]) < v[k])
    for m in (1, 2, 6, 12, 24):
        P = F.copy()
        P[:, :m] = T[:, :m]
        row(f"bound: the next {m / 2:g} h known exactly (peeks)", P, only24=True)
    for s in (0.3, 0.5):
        row(f"bound: forecast errors {int(s * 100)}% smaller (peeks)", F + s * (T - F), only24=True)
    print(f"| bound: rule improved one step with hindsight (peeks) | " + " | ".join(
        f"{clairvoyant_one_step(k0, v, F, w):.3f}" if w == 48 else "" for w in wins) + " |")


if __name__ == "__main__":
    main()
