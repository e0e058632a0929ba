"""Independent numpy version of the entropy (KL) threshold search described in docs/quantization.md.

Usage: entropy_reference.py COUNTS.i64 OUT.f64
Reads a histogram of |x| (int64 counts), writes the KL score of every candidate i = 128..len(counts) (float64).
"""
import sys

import numpy as np

LEVELS = 128
EPS = 1e-4


def smooth(x):
    zero = x == 0
    n_zero, n_nonzero = zero.sum(), (~zero).sum()
    if n_nonzero == 0:
        return None
    out = x + np.where(zero, EPS, -EPS * n_zero / n_nonzero)
    return None if (out <= 0).any() else out


def score(counts, i):
    kept = counts[:i].astype(np.float64)
    p = kept.copy()
    p[-1] += counts[i:].sum()
    merged = i // LEVELS
    level_of_bin = np.minimum(np.arange(i) // merged, LEVELS - 1)
    level_sum = np.bincount(level_of_bin, weights=kept, minlength=LEVELS)
    level_nonzero = np.bincount(level_of_bin, weights=(p != 0).astype(np.float64), minlength=LEVELS)
    share = np.divide(level_sum, level_nonzero, out=np.zeros(LEVELS), where=level_nonzero > 0)
    q = np.where(p != 0, share[level_of_bin], 0.0)
    p, q = smooth(p), smooth(q)
    if p is None or q is None:
        return np.inf
    p, q = p / p.sum(), q / q.sum()
    return float(np.sum(p * np.log(p / q)))


def main():
    counts = np.fromfile(sys.argv[1], "<i8")
    scores = np.array([score(counts, i) for i in range(LEVELS, len(counts) + 1)])
    scores.astype("<f8").tofile(sys.argv[2])


if __name__ == "__main__":
    main()
