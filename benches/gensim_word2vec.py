"""The reference for word2vec training speed: gensim's Word2Vec with
workers=2 on the same corpus and parameters as

    cityops text train --corpus CORPUS --sg|--cbow --dim 100 --window 5 \
        --epochs 5 --min-count 5 --threads 2 --out OUT.vec --json

CORPUS: the first 30 MB of the GNU Collaborative International Dictionary
of English (Debian package dict-gcide), lower-cased, letters only, one entry
line per document (about 3.7 million tokens):

    zcat /usr/share/dictd/gcide.dict.dz | head -c 30000000 \
        | tr -c "A-Za-z'\\n" ' ' | tr 'A-Z' 'a-z' | awk 'NF>3' > corpus.txt

Run: python3 benches/gensim_word2vec.py corpus.txt  (needs `pip install gensim`)
"""
import sys
import time

from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence


def main(path):
    sentences = list(LineSentence(path))
    for sg in (1, 0):
        t0 = time.perf_counter()
        m = Word2Vec(sentences, vector_size=100, window=5, negative=5, min_count=5,
                     sample=1e-3, epochs=5, workers=2, sg=sg, seed=1)
        dt = time.perf_counter() - t0
        words = m.corpus_total_words * 5
        name = "skip-gram" if sg else "CBOW"
        print(f"gensim {name}: {dt:.1f} s, {words / dt:,.0f} words/s, vocab {len(m.wv)}")


if __name__ == "__main__":
    main(sys.argv[1])
