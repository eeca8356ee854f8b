//! Splitting free text (citizen reports, comments, titles) into word tokens.
//!
//! [`Tokenizer::tokenize`] walks the text once:
//! - URLs (`http://`, `https://`, `ftp://`, `www.`) become [`URL_TOKEN`] and
//!   e-mail addresses [`EMAIL_TOKEN`];
//! - runs of letters and digits of any script become words, lower-cased
//!   (`str::to_lowercase`, so Latin, Greek and Cyrillic all fold); an
//!   apostrophe or hyphen between two letters or digits stays inside the word
//!   (`don't`, `king's`, `bus-lane`, `covid-19`, curly `’` becomes `'`), a
//!   `.` or `,` between two digits too (`3.5`, `1,000`);
//! - a word with digits and no letters becomes [`NUM_TOKEN`] (`42`, `3.5`,
//!   `2024-05-01`); mixed words such as `5pm` stay as they are;
//! - runs of Han characters are segmented into words by jieba (`cut`, HMM on
//!   for words missing from its dictionary);
//! - everything else (punctuation, symbols, emoji, spaces) separates tokens.
//!
//! Stop words (small built-in English and Chinese lists, [`is_stop_word`])
//! are dropped only when asked with [`Tokenizer::with_stop_words`].
//!
//! Building jieba's dictionary takes a noticeable fraction of a second, so
//! it is built once per process and shared: [`Tokenizer::shared`] and every
//! [`Tokenizer::new`] use the same one. Uses `std` and jieba-rs only.

use std::collections::HashSet;
use std::sync::OnceLock;

use jieba_rs::Jieba;

/// What a number becomes.
pub const NUM_TOKEN: &str = "<num>";
/// What a URL becomes.
pub const URL_TOKEN: &str = "<url>";
/// What an e-mail address becomes.
pub const EMAIL_TOKEN: &str = "<email>";

/// Small English stop-word list: articles, pronouns, auxiliaries,
/// prepositions and conjunctions that carry no topic.
const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "been", "being", "but", "by", "can", "could", "did", "do", "does", "for", "from", "had", "has",
    "have", "he", "her", "here", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its",
    "just", "me", "my", "no", "not", "of", "on", "or", "our", "out", "over", "she", "so", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "too",
    "up", "us", "very", "was", "we", "were", "what", "when", "where", "which", "who", "why",
    "will", "with", "would", "you", "your", "again", "because", "before", "each", "every", "more",
    "most", "only", "other", "should", "since", "some", "still", "such", "while", "yet",
];

/// English contractions, as the tokenizer keeps them (apostrophe inside).
const ENGLISH_CONTRACTIONS: &[&str] = &[
    "aren't",
    "can't",
    "couldn't",
    "didn't",
    "doesn't",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "i'd",
    "i'll",
    "i'm",
    "i've",
    "isn't",
    "it's",
    "let's",
    "shouldn't",
    "that's",
    "there's",
    "they're",
    "wasn't",
    "we're",
    "weren't",
    "won't",
    "wouldn't",
];

/// Small Chinese stop-word list: particles, pronouns, conjunctions and
/// prepositions as jieba segments them.
const CHINESE_STOP_WORDS: &[&str] = &[
    "的", "了", "是", "在", "和", "与", "及", "或", "也", "都", "就", "而", "被", "把", "给", "对",
    "从", "向", "让", "我", "你", "他", "她", "它", "我们", "你们", "他们", "她们", "这", "那",
    "这个", "那个", "这些", "那些", "有", "没有", "一个", "之", "其", "以", "于", "为", "着", "过",
    "吗", "呢", "吧", "啊", "呀", "哦", "嗯", "很", "还", "又", "再", "但", "但是", "因为", "所以",
    "如果", "已经", "就是", "还是", "什么", "怎么",
];

static JIEBA: OnceLock<Jieba> = OnceLock::new();
static SHARED: OnceLock<Tokenizer> = OnceLock::new();
static STOP_WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();

/// The process-wide jieba segmenter with its default dictionary.
fn jieba() -> &'static Jieba {
    JIEBA.get_or_init(Jieba::new)
}

/// True for words in the built-in English or Chinese stop-word lists
/// (compare lower-cased tokens, as the tokenizer produces them).
pub fn is_stop_word(token: &str) -> bool {
    STOP_WORDS
        .get_or_init(|| {
            ENGLISH_STOP_WORDS
                .iter()
                .chain(ENGLISH_CONTRACTIONS)
                .chain(CHINESE_STOP_WORDS)
                .copied()
                .collect()
        })
        .contains(token)
}

/// True for the placeholders the tokenizer puts in place of numbers, URLs
/// and e-mail addresses.
pub fn is_placeholder(token: &str) -> bool {
    token == NUM_TOKEN || token == URL_TOKEN || token == EMAIL_TOKEN
}

/// Splits text into tokens; see the module docs for the rules. Cheap to
/// copy: the jieba dictionary behind it is shared.
#[derive(Clone, Copy, Debug)]
pub struct Tokenizer {
    jieba: &'static Jieba,
    remove_stop_words: bool,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Tokenizer {
    /// A tokenizer that keeps stop words. The first call in a process builds
    /// jieba's dictionary (slow); later calls reuse it.
    pub fn new() -> Self {
        Self {
            jieba: jieba(),
            remove_stop_words: false,
        }
    }

    /// The process-wide tokenizer (keeps stop words). Copy it and call
    /// [`Tokenizer::with_stop_words`] for one that drops them.
    pub fn shared() -> &'static Tokenizer {
        SHARED.get_or_init(Tokenizer::new)
    }

    /// With `true`, words in the built-in stop-word lists are dropped.
    pub fn with_stop_words(self, remove_stop_words: bool) -> Self {
        Self {
            remove_stop_words,
            ..self
        }
    }

    /// Whether this tokenizer drops stop words.
    pub fn removes_stop_words(&self) -> bool {
        self.remove_stop_words
    }

    /// The tokens of `text`.
    pub fn tokenize(&self, text: &str) -> Vec<String> {
        let mut tokens = Vec::new();
        self.tokenize_into(text, &mut tokens);
        tokens
    }

    /// Appends the tokens of `text` to `tokens` (reuses its allocation when
    /// tokenizing many texts).
    pub fn tokenize_into(&self, text: &str, tokens: &mut Vec<String>) {
        let mut at = 0;
        while let Some(rest) = text.get(at..) {
            let Some(c) = rest.chars().next() else {
                break;
            };
            if is_han(c) {
                let len = run_len(rest, is_han);
                for token in self.jieba.cut(rest.get(..len).unwrap_or(""), true) {
                    self.push(tokens, token.word.to_owned());
                }
                at += len;
            } else if let Some(len) = url_len(rest) {
                tokens.push(URL_TOKEN.to_owned());
                at += len;
            } else if let Some(len) = email_len(rest) {
                tokens.push(EMAIL_TOKEN.to_owned());
                at += len;
            } else if is_word_char(c) {
                let len = word_len(rest);
                let word = rest.get(..len).unwrap_or("");
                self.push(tokens, normalise_word(word));
                at += len;
            } else {
                at += c.len_utf8();
            }
        }
    }

    fn push(&self, tokens: &mut Vec<String>, token: String) {
        if !(self.remove_stop_words && is_stop_word(&token)) {
            tokens.push(token);
        }
    }
}

/// Han (CJK unified) ideographs, all extensions, compatibility ideographs
/// and the ideographic zero.
fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3007
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2EBEF
        | 0x2F800..=0x2FA1F
        | 0x30000..=0x323AF)
}

/// Combining diacritical marks, which belong to the letter before them
/// (`e` + U+0301 is one letter `é`).
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Letters and digits of any script except Han, plus combining marks.
fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() && !is_han(c)) || is_combining_mark(c)
}

/// Byte length of the leading run of characters satisfying `keep`.
fn run_len(s: &str, keep: impl Fn(char) -> bool) -> usize {
    s.char_indices()
        .find(|&(_, c)| !keep(c))
        .map_or(s.len(), |(i, _)| i)
}

/// Byte length of the word starting at `s` (which starts with a word
/// character): word characters, joined by an apostrophe or hyphen between
/// two word characters, or by `.`/`,` between two digits.
fn word_len(s: &str) -> usize {
    let mut prev: Option<char> = None;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_word_char(c) {
            prev = Some(c);
            continue;
        }
        let next = chars.peek().map(|&(_, n)| n);
        let joins = match (prev, next) {
            (Some(p), Some(n)) if is_word_char(p) && is_word_char(n) => match c {
                '\'' | '\u{2019}' | '-' | '\u{2010}' | '\u{2011}' => true,
                '.' | ',' => p.is_numeric() && n.is_numeric(),
                _ => false,
            },
            _ => false,
        };
        if !joins {
            return i;
        }
        prev = Some(c);
    }
    s.len()
}

/// Lower-cases a word, unifies apostrophes and hyphens, and turns numbers
/// (digits and joiners, no letters) into [`NUM_TOKEN`].
fn normalise_word(word: &str) -> String {
    let has_digit = word.chars().any(char::is_numeric);
    let has_letter = word.chars().any(char::is_alphabetic);
    if has_digit && !has_letter {
        return NUM_TOKEN.to_owned();
    }
    word.chars()
        .map(|c| match c {
            '\u{2019}' => '\'',
            '\u{2010}' | '\u{2011}' => '-',
            other => other,
        })
        .collect::<String>()
        .to_lowercase()
}

/// Characters that end a URL: anything non-ASCII (so that Chinese text
/// right after a link is kept), spaces, controls and the characters that
/// cannot appear in a URL unescaped and commonly delimit one.
fn ends_url(c: char) -> bool {
    !c.is_ascii() || c.is_ascii_whitespace() || c.is_ascii_control() || "<>\"`{}|\\^".contains(c)
}

/// Byte length of a URL at the start of `s`, without trailing punctuation
/// that more likely ends the sentence (`.`, `,`, `)`, …).
fn url_len(s: &str) -> Option<usize> {
    let prefix = ["https://", "http://", "ftp://", "www."]
        .into_iter()
        .find(|p| {
            s.as_bytes()
                .get(..p.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(p.as_bytes()))
        })?;
    let mut len = run_len(s, |c| !ends_url(c));
    while len > prefix.len()
        && s.as_bytes()
            .get(len - 1)
            .is_some_and(|b| b".,;:!?'\")]}".contains(b))
    {
        len -= 1;
    }
    let body = s.get(prefix.len()..len)?;
    body.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        .then_some(len)
}

/// Byte length of an e-mail address at the start of `s`: `local@domain.tld`
/// in the usual ASCII characters, with a letter-only top-level domain of at
/// least two letters.
fn email_len(s: &str) -> Option<usize> {
    let is_email_char = |c: char| c.is_ascii_alphanumeric() || "._%+-@".contains(c);
    if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut len = run_len(s, is_email_char);
    while len > 0 && s.as_bytes().get(len - 1).is_some_and(|b| b".-".contains(b)) {
        len -= 1;
    }
    let candidate = s.get(..len)?;
    let (local, domain) = candidate.split_once('@')?;
    if local.is_empty() || domain.contains('@') {
        return None;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let tld = labels.last()?;
    let labels_ok = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    (labels_ok && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        Tokenizer::shared().tokenize(text)
    }

    #[test]
    fn chinese_text_is_segmented_into_words() {
        let t = tokens("小区门口垃圾没人清理");
        assert!(t.iter().any(|w| w == "垃圾"), "{t:?}");
        assert!(t.iter().any(|w| w == "小区"), "{t:?}");
        assert_eq!(t.concat(), "小区门口垃圾没人清理");
    }

    #[test]
    fn numbers_urls_and_emails_become_placeholders() {
        let t = tokens(
            "The bus-lane on King's Road is 3.5 km long: https://city.example/map?x=1. Mail ops@city.example!",
        );
        assert_eq!(
            t,
            [
                "the", "bus-lane", "on", "king's", "road", "is", "<num>", "km", "long", "<url>",
                "mail", "<email>"
            ]
        );
        assert_eq!(
            tokens("on 2024-05-01 at 5pm, 1,000 cars; see www.city.example"),
            ["on", "<num>", "at", "5pm", "<num>", "cars", "see", "<url>"]
        );
    }

    #[test]
    fn latin_greek_and_cyrillic_are_lower_cased_and_accents_kept() {
        assert_eq!(
            tokens("ÉCOLE Straße naïve ΑΘΗΝΑ МОСКВА"),
            ["école", "straße", "naïve", "αθηνα", "москва"]
        );
        // e + combining acute accent stays one word.
        assert_eq!(tokens("Cafe\u{301} open"), ["cafe\u{301}", "open"]);
    }

    #[test]
    fn apostrophes_inside_words_are_kept_and_quotes_dropped() {
        assert_eq!(
            tokens("\u{2018}quoted\u{2019} don\u{2019}t 'citizens' -dash"),
            ["quoted", "don't", "citizens", "dash"]
        );
    }

    #[test]
    fn mixed_chinese_latin_and_numbers_split_at_script_changes() {
        let t = tokens("3号线地铁故障,见https://metro.example/a谢谢");
        assert_eq!(t.first().map(String::as_str), Some("<num>"));
        assert!(t.iter().any(|w| w == "地铁"), "{t:?}");
        assert!(t.iter().any(|w| w == "<url>"), "{t:?}");
        assert!(t.iter().any(|w| w == "谢谢"), "{t:?}");
    }

    #[test]
    fn stop_words_are_dropped_only_when_asked() {
        let text = "The bus is late 我们的公交车晚了";
        let kept = tokens(text);
        assert!(kept.iter().any(|w| w == "the"));
        let dropped = Tokenizer::shared().with_stop_words(true).tokenize(text);
        for stop in ["the", "is", "我们", "的", "了"] {
            assert!(!dropped.iter().any(|w| w == stop), "{stop} in {dropped:?}");
        }
        assert!(dropped.iter().any(|w| w == "bus"));
        assert!(dropped.iter().any(|w| w == "late"));
        // Contractions stay one token and are stop words too.
        let dropped = Tokenizer::shared()
            .with_stop_words(true)
            .tokenize("The truck wasn't there because it's Sunday");
        assert_eq!(dropped, ["truck", "sunday"]);
    }

    #[test]
    fn not_quite_urls_and_emails_are_words() {
        assert_eq!(tokens("http:// a@b"), ["http", "a", "b"]);
        assert_eq!(tokens("x@y.z1"), ["x", "y", "z1"]);
        assert_eq!(tokens(""), Vec::<String>::new());
        assert_eq!(tokens("?!… 🚌"), Vec::<String>::new());
    }
}
