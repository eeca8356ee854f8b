"""The PyTorch reference for `cargo bench --bench train`: the same network
(100 -> 64 -> 64 -> 1, ReLU), loss (BCE with logits), optimiser (AdamW,
lr 1e-3, weight decay 1e-4), batch 32, one shuffled epoch over 100,000 rows
of 100 features; then inference over the same rows in chunks of 8192.

Run: python3 benches/torch_mlp.py  (needs `pip install torch`)
"""
import time

import torch

ROWS, FEATURES = 100_000, 100


def main():
    torch.manual_seed(1)
    x = torch.randn(ROWS, FEATURES)
    y = (x[:, :10].sum(dim=1) > 0).float().unsqueeze(1)
    net = torch.nn.Sequential(
        torch.nn.Linear(FEATURES, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 1),
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    times = []
    for _ in range(3):
        order = torch.randperm(ROWS)
        t0 = time.perf_counter()
        for start in range(0, ROWS, 32):
            idx = order[start:start + 32]
            opt.zero_grad()
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"train one epoch: median {sorted(times)[1]:.3f} s, {ROWS / sorted(times)[1]:,.0f} samples/s (best {ROWS / best:,.0f})")
    with torch.no_grad():
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            for start in range(0, ROWS, 8192):
                net(x[start:start + 8192])
            times.append(time.perf_counter() - t0)
    med = sorted(times)[5]
    print(f"inference: median {med * 1000:.1f} ms, {ROWS / med:,.0f} samples/s")


if __name__ == "__main__":
    main()
