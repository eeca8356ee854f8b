"""The reference for `cargo bench --bench recommend`: the `implicit`
library's CosineRecommender (item-item cosine, K=50 neighbours) on the same
synthetic city — 6,000 residents x 4,000 services x 1,000,000 distinct interactions,
Zipf-like popularity (weight of service i proportional to 1/(i+10)^0.9) —
timing fit() and recommend() for every resident (N=10, seen items filtered).

Run: python3 benches/implicit_cosine.py  (needs `pip install implicit`)
"""
import time

import numpy as np
import scipy.sparse as sp
from implicit.nearest_neighbours import CosineRecommender

USERS, ITEMS, INTERACTIONS = 6_000, 4_000, 1_000_000


def synthetic():
    rng = np.random.default_rng(7)
    w = 1.0 / np.power(np.arange(ITEMS) + 10.0, 0.9)
    p = w / w.sum()
    # Draw pairs until 1,000,000 distinct (resident, service) pairs exist.
    users = rng.integers(0, USERS, 3 * INTERACTIONS)
    items = rng.choice(ITEMS, 3 * INTERACTIONS, p=p)
    _, first = np.unique(users.astype(np.int64) * ITEMS + items, return_index=True)
    keep = np.sort(first)[:INTERACTIONS]
    users, items = users[keep], items[keep]
    return sp.csr_matrix((np.ones(len(keep), dtype=np.float32), (users, items)), shape=(USERS, ITEMS))


def main():
    m = synthetic()
    fits, recs = [], []
    for _ in range(3):
        model = CosineRecommender(K=50)
        t0 = time.perf_counter()
        model.fit(m, show_progress=False)
        t1 = time.perf_counter()
        model.recommend(np.arange(USERS), m, N=10, filter_already_liked_items=True)
        t2 = time.perf_counter()
        fits.append(t1 - t0)
        recs.append(t2 - t1)
    fit, rec = sorted(fits)[1], sorted(recs)[1]
    print(f"implicit CosineRecommender(K=50): fit {fit:.3f} s, recommend all {rec:.3f} s, total {fit + rec:.3f} s (medians of 3)")


if __name__ == "__main__":
    main()
