//! What word vectors are used for: nearest neighbours, analogies and
//! similarity (all by cosine), the two standard intrinsic evaluations
//! (word-pair similarity against human scores, Mikolov's analogy
//! questions), document vectors, idf and keywords.
//!
//! Scans are linear over the vocabulary with one pass to compute row norms
//! first (no normalised copy of the matrix, which for large pretrained
//! vectors would double the memory). The evaluations look words up
//! case-insensitively, the most frequent spelling winning, as gensim does;
//! the analogy evaluation, like gensim, only considers the 300 000 most
//! frequent words (as answers and as question words).
//!
//! Uses `std` and the rest of `text` only.

use std::collections::HashMap;
use std::io::BufRead;

use super::TextError;
use super::tokenize::{is_placeholder, is_stop_word};
use super::word2vec::WordVectors;

/// The analogy evaluation only uses this many of the most frequent words.
pub const ANALOGY_VOCAB_LIMIT: usize = 300_000;

/// Cosine scoring against every row, with the inverse row norms computed
/// once.
struct Scorer<'a> {
    v: &'a WordVectors,
    inverse_norms: Vec<f32>,
}

impl<'a> Scorer<'a> {
    fn new(v: &'a WordVectors) -> Result<Self, TextError> {
        v.check_shape()?;
        let inverse_norms = v
            .vectors
            .chunks_exact(v.dim)
            .map(|row| {
                let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
                if norm > 0.0 && norm.is_finite() {
                    1.0 / norm
                } else {
                    0.0
                }
            })
            .collect();
        Ok(Self { v, inverse_norms })
    }

    /// Row `index` scaled to unit length (zeros for a zero row).
    fn unit(&self, index: usize) -> Vec<f32> {
        let scale = self.inverse_norms.get(index).copied().unwrap_or(0.0);
        self.v
            .row(index)
            .map(|row| row.iter().map(|x| x * scale).collect())
            .unwrap_or_else(|| vec![0.0; self.v.dim])
    }

    /// The `top` rows among the first `restrict` most similar to the unit
    /// vector `query`, skipping `exclude` and zero rows; best first, ties by
    /// row.
    fn top(
        &self,
        query: &[f32],
        exclude: &[usize],
        top: usize,
        restrict: usize,
    ) -> Vec<(usize, f32)> {
        let mut best: Vec<(usize, f32)> = Vec::with_capacity(top + 1);
        if top == 0 {
            return best;
        }
        let rows = self.v.vectors.chunks_exact(self.v.dim).take(restrict);
        for (index, (row, &inverse_norm)) in rows.zip(&self.inverse_norms).enumerate() {
            if inverse_norm == 0.0 || exclude.contains(&index) {
                continue;
            }
            let score = dot(query, row) * inverse_norm;
            if score.is_nan() || (best.len() == top && best.last().is_some_and(|l| score <= l.1)) {
                continue;
            }
            let at = best.partition_point(|&(_, s)| s >= score);
            best.insert(at, (index, score));
            best.truncate(top);
        }
        best
    }

    fn named(&self, scored: Vec<(usize, f32)>) -> Vec<(String, f32)> {
        scored
            .into_iter()
            .filter_map(|(i, s)| Some((self.v.words.get(i)?.clone(), s)))
            .collect()
    }

    fn cosine(&self, a: usize, b: usize) -> f32 {
        match (self.v.row(a), self.v.row(b)) {
            (Some(x), Some(y)) => {
                let scale = self.inverse_norms.get(a).copied().unwrap_or(0.0)
                    * self.inverse_norms.get(b).copied().unwrap_or(0.0);
                dot(x, y) * scale
            }
            _ => 0.0,
        }
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Scales `v` to unit length in place (a zero vector stays zero).
fn normalise(v: &mut [f32]) {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

fn known(v: &WordVectors, word: &str) -> Result<usize, TextError> {
    v.index(word).ok_or_else(|| TextError::UnknownWord {
        word: word.to_owned(),
    })
}

/// The `top` words most similar to `word` by cosine, best first, without
/// `word` itself.
pub fn nearest(v: &WordVectors, word: &str, top: usize) -> Result<Vec<(String, f32)>, TextError> {
    let index = known(v, word)?;
    let scorer = Scorer::new(v)?;
    let query = scorer.unit(index);
    Ok(scorer.named(scorer.top(&query, &[index], top, usize::MAX)))
}

/// Answers "`b` is to `a` as ? is to `c`" read as `a − b + c` (3CosAdd on
/// unit vectors): `analogy(v, "king", "man", "woman", 1)` should give
/// "queen". The three words are left out of the answers; scores are cosines
/// with the normalised `a − b + c`.
pub fn analogy(
    v: &WordVectors,
    a: &str,
    b: &str,
    c: &str,
    top: usize,
) -> Result<Vec<(String, f32)>, TextError> {
    let (ia, ib, ic) = (known(v, a)?, known(v, b)?, known(v, c)?);
    let scorer = Scorer::new(v)?;
    let query = analogy_query(&scorer, ia, ib, ic);
    Ok(scorer.named(scorer.top(&query, &[ia, ib, ic], top, usize::MAX)))
}

/// The normalised `unit(a) − unit(b) + unit(c)`.
fn analogy_query(scorer: &Scorer<'_>, a: usize, b: usize, c: usize) -> Vec<f32> {
    let mut query = scorer.unit(a);
    for (q, (y, z)) in query
        .iter_mut()
        .zip(scorer.unit(b).iter().zip(scorer.unit(c)))
    {
        *q += z - y;
    }
    normalise(&mut query);
    query
}

/// Cosine similarity of two words (0 when either vector is zero).
pub fn similarity(v: &WordVectors, a: &str, b: &str) -> Result<f32, TextError> {
    let (ia, ib) = (known(v, a)?, known(v, b)?);
    v.check_shape()?;
    let (Some(x), Some(y)) = (v.row(ia), v.row(ib)) else {
        return Ok(0.0);
    };
    let norms = dot(x, x).sqrt() * dot(y, y).sqrt();
    Ok(if norms > 0.0 { dot(x, y) / norms } else { 0.0 })
}

/// A word-pair evaluation: how well cosine similarity ranks the pairs like
/// the human scores do.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairEval {
    /// Spearman rank correlation between human scores and cosines over the
    /// pairs used; `None` with fewer than two pairs or constant scores.
    pub spearman: Option<f64>,
    /// Pairs with both words in the vocabulary.
    pub used: usize,
    /// Pairs skipped because a word is not in the vocabulary.
    pub oov: usize,
}

/// Lower-cased word → row, the first (most frequent) spelling winning,
/// over the first `restrict` words.
fn lower_lookup(v: &WordVectors, restrict: usize) -> HashMap<String, usize> {
    let mut map = HashMap::with_capacity(v.words.len().min(restrict));
    for (i, w) in v.words.iter().take(restrict).enumerate() {
        map.entry(w.to_lowercase()).or_insert(i);
    }
    map
}

/// Calls `each(line_number, line)` for every non-blank line that does not
/// start with `#`; invalid UTF-8 is replaced.
fn for_each_line(
    mut r: impl BufRead,
    source: &str,
    mut each: impl FnMut(u64, &str) -> Result<(), TextError>,
) -> Result<(), TextError> {
    let mut buf = Vec::new();
    let mut line_number = 0u64;
    loop {
        buf.clear();
        let n = r.read_until(b'\n', &mut buf).map_err(|e| {
            TextError::io(source, &e, "Check that the file is readable and complete.")
        })?;
        if n == 0 {
            return Ok(());
        }
        line_number += 1;
        let text = String::from_utf8_lossy(&buf);
        let line = text.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        each(line_number, line)?;
    }
}

/// Evaluates on word pairs with human similarity scores, one pair a line:
/// `word1 word2 score` (WordSim-353), separated by tabs, commas or spaces;
/// with more columns the first number after the two words is the score
/// (SimLex-999's `word1 word2 POS SimLex999 …`). Blank lines, `#` comments
/// and lines without a number (headers) are skipped. Words are looked up
/// lower-cased.
pub fn eval_pairs(v: &WordVectors, r: impl BufRead) -> Result<PairEval, TextError> {
    let scorer = Scorer::new(v)?;
    let lookup = lower_lookup(v, usize::MAX);
    let mut human = Vec::new();
    let mut model = Vec::new();
    let mut oov = 0;
    for_each_line(r, "word pairs", |_, line| {
        let fields: Vec<&str> = if line.contains('\t') {
            line.split('\t').map(str::trim).collect()
        } else if line.contains(',') {
            line.split(',').map(str::trim).collect()
        } else {
            line.split_whitespace().collect()
        };
        let [a, b, rest @ ..] = fields.as_slice() else {
            return Ok(());
        };
        let Some(score) = rest
            .iter()
            .find_map(|f| f.parse::<f64>().ok().filter(|s| s.is_finite()))
        else {
            return Ok(());
        };
        match (lookup.get(&a.to_lowercase()), lookup.get(&b.to_lowercase())) {
            (Some(&ia), Some(&ib)) => {
                human.push(score);
                model.push(f64::from(scorer.cosine(ia, ib)));
            }
            _ => oov += 1,
        }
        Ok(())
    })?;
    Ok(PairEval {
        spearman: spearman(&human, &model),
        used: human.len(),
        oov,
    })
}

/// An analogy evaluation: the share of questions whose top answer is right.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnalogyEval {
    /// Correct / used over all sections; `None` when no question was used.
    pub accuracy: Option<f64>,
    /// Questions with all four words among the 300 000 most frequent.
    pub used: usize,
    /// Questions skipped because a word is missing.
    pub oov: usize,
    /// Per section with at least one question used: name, accuracy, used.
    pub sections: Vec<(String, f64, usize)>,
}

/// Evaluates on analogy questions in Mikolov's `questions-words.txt`
/// format: `: section` lines and `a b c d` lines, read as "a is to b as c
/// is to d": correct when the best answer to `b − a + c` (3CosAdd, leaving
/// out a, b and c) is `d`. Words are looked up lower-cased among the
/// [`ANALOGY_VOCAB_LIMIT`] most frequent; questions before any section line
/// go to a section named "". A line that is not four words is an error
/// naming its line.
pub fn eval_analogies(v: &WordVectors, r: impl BufRead) -> Result<AnalogyEval, TextError> {
    const SOURCE: &str = "analogy questions";
    let scorer = Scorer::new(v)?;
    let lookup = lower_lookup(v, ANALOGY_VOCAB_LIMIT);
    // (name, correct, used)
    let mut sections: Vec<(String, usize, usize)> = Vec::new();
    let mut oov = 0;
    for_each_line(r, SOURCE, |line_number, line| {
        if let Some(name) = line.strip_prefix(':') {
            sections.push((name.trim().to_owned(), 0, 0));
            return Ok(());
        }
        let words: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
        let [a, b, c, d] = words.as_slice() else {
            return Err(TextError::at_line(
                SOURCE,
                line_number,
                format!(
                    "expected four words 'a b c d' (a is to b as c is to d) or a ': section' line, found {line:?}"
                ),
            ));
        };
        let indices: Option<Vec<usize>> = [a, b, c, d]
            .iter()
            .map(|w| lookup.get(w.as_str()).copied())
            .collect();
        let Some([ia, ib, ic, _]) = indices
            .as_deref()
            .and_then(|i| <[usize; 4]>::try_from(i).ok())
        else {
            oov += 1;
            return Ok(());
        };
        let query = analogy_query(&scorer, ib, ia, ic);
        let answer = scorer.top(&query, &[ia, ib, ic], 1, ANALOGY_VOCAB_LIMIT);
        let correct = answer
            .first()
            .and_then(|&(i, _)| v.words.get(i))
            .is_some_and(|w| w.to_lowercase() == *d);
        if sections.is_empty() {
            sections.push((String::new(), 0, 0));
        }
        if let Some(section) = sections.last_mut() {
            section.1 += usize::from(correct);
            section.2 += 1;
        }
        Ok(())
    })?;
    let correct: usize = sections.iter().map(|s| s.1).sum();
    let used: usize = sections.iter().map(|s| s.2).sum();
    Ok(AnalogyEval {
        accuracy: (used > 0).then(|| correct as f64 / used as f64),
        used,
        oov,
        sections: sections
            .into_iter()
            .filter(|s| s.2 > 0)
            .map(|(name, correct, used)| (name, correct as f64 / used as f64, used))
            .collect(),
    })
}

/// Spearman's rank correlation: Pearson's correlation of the ranks, tied
/// values sharing their average rank. `None` when the lengths differ, with
/// fewer than two values, or when either side is constant; NaN values make
/// the result `None` too.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 || x.iter().chain(y).any(|v| v.is_nan()) {
        return None;
    }
    let (rx, ry) = (average_ranks(x), average_ranks(y));
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// 1-based ranks, ties sharing the mean of their ranks.
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    let value = |i: usize| values.get(i).copied().unwrap_or(0.0);
    order.sort_by(|&a, &b| value(a).total_cmp(&value(b)));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let first = order.get(start).map_or(0.0, |&i| value(i));
        let mut end = start + 1;
        while order.get(end).is_some_and(|&i| value(i) == first) {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end; their mean:
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in order.get(start..end).unwrap_or(&[]) {
            if let Some(r) = ranks.get_mut(i) {
                *r = rank;
            }
        }
        start = end;
    }
    ranks
}

/// Turns documents into vectors with one word lookup table built up front:
/// use it for many documents ([`doc_vector`] scans the vocabulary per
/// call).
pub struct DocEncoder<'a> {
    v: &'a WordVectors,
    lookup: HashMap<&'a str, usize>,
}

impl<'a> DocEncoder<'a> {
    pub fn new(v: &'a WordVectors) -> Self {
        Self {
            v,
            lookup: v.lookup(),
        }
    }

    /// The document vector of `tokens`; see [`doc_vector`].
    pub fn encode(&self, tokens: &[String], idf: Option<&HashMap<String, f32>>) -> Vec<f32> {
        weighted_mean(
            self.v,
            tokens
                .iter()
                .map(|t| (t, self.lookup.get(t.as_str()).copied())),
            idf,
        )
    }
}

/// The document vector of `tokens`: the mean of the known words' vectors,
/// each weighted by its idf when `idf` is given (a word missing from `idf`
/// gets the largest idf there, being rarer than any word counted),
/// scaled to unit length; all zeros when no word is known.
pub fn doc_vector(
    v: &WordVectors,
    tokens: &[String],
    idf: Option<&HashMap<String, f32>>,
) -> Vec<f32> {
    // One pass over the vocabulary finds every token (first row wins).
    let mut rows: HashMap<&str, Option<usize>> =
        tokens.iter().map(|t| (t.as_str(), None)).collect();
    let mut missing = rows.len();
    for (i, w) in v.words.iter().enumerate() {
        if missing == 0 {
            break;
        }
        if let Some(slot @ None) = rows.get_mut(w.as_str()) {
            *slot = Some(i);
            missing -= 1;
        }
    }
    weighted_mean(
        v,
        tokens
            .iter()
            .map(|t| (t, rows.get(t.as_str()).copied().flatten())),
        idf,
    )
}

fn weighted_mean<'t>(
    v: &WordVectors,
    tokens: impl Iterator<Item = (&'t String, Option<usize>)>,
    idf: Option<&HashMap<String, f32>>,
) -> Vec<f32> {
    let mut sum = vec![0.0f32; v.dim];
    let mut unseen_weight = None;
    let mut total_weight = 0.0;
    for (token, row) in tokens {
        let Some(vector) = row.and_then(|r| v.row(r)) else {
            continue;
        };
        let weight = match idf {
            None => 1.0,
            Some(idf) => match idf.get(token) {
                Some(&w) => w,
                None => *unseen_weight
                    .get_or_insert_with(|| idf.values().copied().fold(1.0f32, f32::max)),
            },
        };
        for (s, x) in sum.iter_mut().zip(vector) {
            *s += weight * x;
        }
        total_weight += weight;
    }
    if total_weight > 0.0 {
        sum.iter_mut().for_each(|s| *s /= total_weight);
    }
    normalise(&mut sum);
    if sum.iter().any(|x| !x.is_finite()) {
        sum.fill(0.0);
    }
    sum
}

/// Smoothed inverse document frequency of every token:
/// `ln((1 + N) / (1 + df)) + 1`, N documents, df of them containing it.
pub fn idf(docs: &[Vec<String>]) -> HashMap<String, f32> {
    let mut df: HashMap<&str, u64> = HashMap::new();
    for doc in docs {
        let mut seen: Vec<&str> = doc.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            *df.entry(w).or_insert(0) += 1;
        }
    }
    let n = docs.len() as f64;
    df.into_iter()
        .map(|(w, d)| {
            (
                w.to_owned(),
                (((1.0 + n) / (1.0 + d as f64)).ln() + 1.0) as f32,
            )
        })
        .collect()
}

/// The `top` keywords of a document by tf-idf (tf = the word's share of the
/// document's tokens; a word missing from `idf` gets the largest idf
/// there), best first, ties by word; stop words and the `<num>`, `<url>`
/// and `<email>` placeholders are left out.
pub fn top_keywords(
    tokens: &[String],
    idf: &HashMap<String, f32>,
    top: usize,
) -> Vec<(String, f32)> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in tokens {
        if !is_stop_word(t) && !is_placeholder(t) {
            *counts.entry(t.as_str()).or_insert(0) += 1;
        }
    }
    let unseen = idf.values().copied().fold(1.0f32, f32::max);
    let length = tokens.len().max(1) as f32;
    let mut scored: Vec<(String, f32)> = counts
        .into_iter()
        .map(|(w, c)| {
            let weight = idf.get(w).copied().unwrap_or(unseen);
            (w.to_owned(), c as f32 / length * weight)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scored.truncate(top);
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dimensions: royalty, male, female, fruit.
    fn family() -> WordVectors {
        let rows: [(&str, [f32; 4]); 7] = [
            ("king", [1.0, 1.0, 0.0, 0.0]),
            ("queen", [1.0, 0.0, 1.0, 0.0]),
            ("man", [0.0, 1.0, 0.0, 0.0]),
            ("woman", [0.0, 0.0, 1.0, 0.0]),
            ("prince", [0.8, 1.0, 0.0, 0.1]),
            ("apple", [0.0, 0.0, 0.1, 1.0]),
            ("nothing", [0.0, 0.0, 0.0, 0.0]),
        ];
        WordVectors::new(
            rows.iter().map(|r| r.0.to_owned()).collect(),
            4,
            rows.iter().flat_map(|r| r.1).collect(),
            vec![],
        )
        .unwrap()
    }

    #[test]
    fn analogy_on_hand_made_vectors_finds_queen() {
        let v = family();
        let answers = analogy(&v, "king", "man", "woman", 2).unwrap();
        assert_eq!(answers[0].0, "queen");
        // unit(king) − man + woman = (0.707, −0.293, 1, 0); its cosine with
        // unit(queen) = (0.707 + 0.707·1) / (|q| · 1) with |q|² = 1.5858.
        let expected = 0.5f32.sqrt() * (1.0 + 0.5f32.sqrt()) / 1.5858f32.sqrt();
        assert!(
            (answers[0].1 - expected).abs() < 1e-3,
            "{answers:?} vs {expected}"
        );
        assert!(
            !answers
                .iter()
                .any(|(w, _)| ["king", "man", "woman"].contains(&w.as_str()))
        );
        assert!(matches!(
            analogy(&v, "king", "man", "girl", 1),
            Err(TextError::UnknownWord { word }) if word == "girl"
        ));
    }

    #[test]
    fn nearest_excludes_the_word_and_zero_vectors() {
        let v = family();
        let near = nearest(&v, "king", 10).unwrap();
        assert_eq!(near[0].0, "prince");
        assert_eq!(near.len(), 5); // not king itself, not the zero vector
        assert!(near.windows(2).all(|w| w[0].1 >= w[1].1));
        assert!(matches!(
            nearest(&v, "emperor", 3),
            Err(TextError::UnknownWord { .. })
        ));
        assert!((similarity(&v, "king", "man").unwrap() - 0.5f32.sqrt()).abs() < 1e-6);
        assert_eq!(similarity(&v, "king", "nothing").unwrap(), 0.0);
    }

    #[test]
    fn spearman_on_tiny_hand_case() {
        assert_eq!(
            spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]),
            Some(1.0)
        );
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
        // Ranks x = [1, 2.5, 2.5, 4], y = [1, 3, 2, 4]: r = 4.5 / sqrt(4.5 · 5).
        let r = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!((r - 0.9f64.sqrt()).abs() < 1e-12, "{r}");
        assert_eq!(spearman(&[1.0, 1.0], &[1.0, 2.0]), None);
        assert_eq!(spearman(&[1.0], &[1.0]), None);
        assert_eq!(average_ranks(&[5.0, 1.0, 5.0, 5.0]), [3.0, 1.0, 3.0, 3.0]);
    }

    #[test]
    fn eval_pairs_reads_wordsim_and_simlex_styles() {
        let v = family();
        let wordsim = "# comment\nWord 1,Word 2,Human (mean)\nking,queen,8\nKing,prince,9\nking,apple,1\nking,emperor,7\n\n";
        let e = eval_pairs(&v, wordsim.as_bytes()).unwrap();
        assert_eq!((e.used, e.oov), (3, 1));
        // Cosines: prince 0.94 > queen 0.5 > apple 0: the same order.
        assert_eq!(e.spearman, Some(1.0));
        let simlex = "word1\tword2\tPOS\tSimLex999\tconc(w1)\nman\twoman\tN\t3.33\t4.5\nking\tqueen\tN\t5.1\t4.1\n";
        let e = eval_pairs(&v, simlex.as_bytes()).unwrap();
        assert_eq!((e.used, e.oov), (2, 0));
        assert_eq!(e.spearman, Some(1.0)); // man–woman 0 < king–queen 0.5
    }

    #[test]
    fn eval_analogies_reads_questions_words_format() {
        let v = family();
        let questions = ": family\nman woman king queen\nMAN WOMAN KING QUEEN\nman woman king girl\n: wrong\nwoman man queen apple\n";
        let e = eval_analogies(&v, questions.as_bytes()).unwrap();
        assert_eq!((e.used, e.oov), (3, 1));
        assert_eq!(e.accuracy, Some(2.0 / 3.0));
        assert_eq!(
            e.sections,
            [("family".to_owned(), 1.0, 2), ("wrong".to_owned(), 0.0, 1)]
        );
        let err = eval_analogies(&v, "king queen\n".as_bytes()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("analogy questions:1: expected four words"),
            "{err}"
        );
    }

    #[test]
    fn idf_and_keywords_on_tiny_case() {
        let docs: Vec<Vec<String>> = [
            vec!["bus", "late"],
            vec!["bus", "park", "bus"],
            vec!["park", "tree"],
        ]
        .iter()
        .map(|d| d.iter().map(|w| (*w).to_owned()).collect())
        .collect();
        let idf = idf(&docs);
        // N = 3: df(bus) = 2 → ln(4/3) + 1; df(late) = 1 → ln 2 + 1.
        assert!((idf["bus"] - ((4.0f32 / 3.0).ln() + 1.0)).abs() < 1e-6);
        assert!((idf["late"] - (2f32.ln() + 1.0)).abs() < 1e-6);
        assert_eq!(idf.len(), 4);
        let tokens: Vec<String> = ["bus", "bus", "late", "the", "<num>"]
            .iter()
            .map(|w| (*w).to_owned())
            .collect();
        let keywords = top_keywords(&tokens, &idf, 5);
        let words: Vec<&str> = keywords.iter().map(|k| k.0.as_str()).collect();
        assert_eq!(words, ["bus", "late"]);
        // tf(bus) = 2/5, times idf 1.2877.
        assert!((keywords[0].1 - 0.4 * idf["bus"]).abs() < 1e-6);
        assert_eq!(top_keywords(&tokens, &idf, 1).len(), 1);
    }

    #[test]
    fn doc_vector_is_the_normalised_weighted_mean() {
        let v = family();
        let tokens: Vec<String> = ["man", "woman", "unknown"]
            .iter()
            .map(|w| (*w).to_owned())
            .collect();
        let d = doc_vector(&v, &tokens, None);
        let h = 0.5f32.sqrt();
        assert!(
            d.iter()
                .zip([0.0, h, h, 0.0])
                .all(|(a, b)| (a - b).abs() < 1e-6),
            "{d:?}"
        );
        assert_eq!(DocEncoder::new(&v).encode(&tokens, None), d);
        let idf: HashMap<String, f32> = [("man".to_owned(), 3.0), ("woman".to_owned(), 1.0)].into();
        let d = doc_vector(&v, &tokens, Some(&idf));
        assert!(
            (d[1] - 3.0 / 10f32.sqrt()).abs() < 1e-6 && (d[2] - 1.0 / 10f32.sqrt()).abs() < 1e-6
        );
        assert_eq!(doc_vector(&v, &["zzz".to_owned()], None), [0.0; 4]);
    }
}
