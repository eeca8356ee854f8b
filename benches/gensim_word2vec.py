"""The reference for word2vec training speed and quality: gensim's Word2Vec
with workers=2 on the same corpus and parameters as `cargo bench --bench
word2vec` (benches/word2vec.rs) and

    cityops text train --corpus CORPUS --sg|--cbow --dim 100 --window 5 \
        --epochs 5 --min-count 5 --threads 2 --out OUT.vec --json

CORPUS: the first 30 MB of the GNU Collaborative International Dictionary
of English (Debian package dict-gcide), lower-cased, letters only, one entry
line per document (about 3.7 million tokens):

    zcat /usr/share/dictd/gcide.dict.dz | head -c 30000000 \
        | tr -c "A-Za-z'\\n" ' ' | tr 'A-Z' 'a-z' | awk 'NF>3' > corpus.txt

Run: python3 benches/gensim_word2vec.py corpus.txt [WORDSIM]  (needs
`pip install gensim`). WORDSIM defaults to the WordSim-353 file gensim ships
(gensim/test/test_data/wordsim353.tsv); the Spearman rank correlation of the
cosines with the human scores is printed for each model.

Timing: `seconds` covers the training passes only (the vocabulary is built
first, untimed), as cityops' figure does. gensim counts every corpus token
in its words/s; cityops counts the tokens that are in the vocabulary (words
below min-count are dropped before training), so both rates are printed.
"""
import os
import sys
import time

import gensim
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence

EPOCHS = 5


def main(path, wordsim):
    sentences = list(LineSentence(path))
    for sg in (1, 0):
        # alpha as cityops and word2vec.c: 0.025 for skip-gram, 0.05 for CBOW
        # (gensim's own default is 0.025 for both).
        m = Word2Vec(vector_size=100, window=5, negative=5, min_count=5, sample=1e-3,
                     alpha=0.025 if sg else 0.05, epochs=EPOCHS, workers=2, sg=sg, seed=1)
        m.build_vocab(sentences)
        t0 = time.perf_counter()
        m.train(sentences, total_examples=m.corpus_count, epochs=EPOCHS)
        dt = time.perf_counter() - t0
        all_words = m.corpus_total_words * EPOCHS
        vocab_words = sum(m.wv.get_vecattr(w, "count") for w in m.wv.index_to_key) * EPOCHS
        name = "skip-gram" if sg else "CBOW"
        line = (f"gensim {name}: {dt:.1f} s, {all_words / dt:,.0f} words/s "
                f"({vocab_words / dt:,.0f} vocabulary words/s), vocab {len(m.wv)}")
        if wordsim:
            _pearson, spearman, oov = m.wv.evaluate_word_pairs(wordsim)
            line += (f", {os.path.basename(wordsim)} Spearman {spearman[0]:.3f} "
                     f"({oov:.1f}% of pairs out of vocabulary)")
        print(line, flush=True)


if __name__ == "__main__":
    default = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data", "wordsim353.tsv")
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else default)
