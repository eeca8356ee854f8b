//! Text templates for incident descriptions and citizen reports: filling
//! their slots, and typos.

use crate::data::rng::Rng;

/// The words a template can refer to.
pub(super) struct TemplateWords<'a> {
    pub(super) street: &'a str,
    pub(super) street2: &'a str,
    pub(super) landmark: &'a str,
    pub(super) park: &'a str,
    pub(super) days: u32,
}

/// Fills a template: `{street}`, `{street2}`, `{landmark}`, `{park}` and
/// `{days}` are replaced by their values, `{a|b|c}` by one of the choices
/// (empty choices allowed). Braces do not nest.
pub(super) fn render(template: &str, words: &TemplateWords<'_>, rng: &mut Rng, out: &mut String) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 1..).unwrap_or_default();
        let Some(close) = after.find('}') else {
            out.push_str(rest.get(open..).unwrap_or_default());
            return;
        };
        let inner = after.get(..close).unwrap_or_default();
        if inner.contains('|') {
            let choices: Vec<&str> = inner.split('|').collect();
            out.push_str(rng.choose(&choices).copied().unwrap_or_default());
        } else {
            match inner {
                "street" => out.push_str(words.street),
                "street2" => out.push_str(words.street2),
                "landmark" => out.push_str(words.landmark),
                "park" => out.push_str(words.park),
                "days" => out.push_str(&words.days.to_string()),
                other => out.push_str(other),
            }
        }
        rest = after.get(close + 1..).unwrap_or_default();
    }
    out.push_str(rest);
}

/// Makes one typing mistake in a longer English word: two letters swapped,
/// one dropped or one doubled.
pub(super) fn add_typo(text: &str, rng: &mut Rng) -> String {
    let mut words: Vec<String> = text.split(' ').map(str::to_owned).collect();
    let candidates: Vec<usize> = words
        .iter()
        .enumerate()
        .filter(|(_, w)| w.len() >= 5 && w.bytes().all(|b| b.is_ascii_lowercase()))
        .map(|(i, _)| i)
        .collect();
    let Some(&target) = rng.choose(&candidates) else {
        return text.to_owned();
    };
    if let Some(word) = words.get_mut(target) {
        let mut letters: Vec<u8> = word.bytes().collect();
        let at = 1 + rng.below(letters.len() - 2).unwrap_or(0);
        match rng.below(3) {
            Some(0) if letters.get(at) != letters.get(at + 1) => letters.swap(at, at + 1),
            Some(1) => {
                letters.remove(at);
            }
            _ => {
                let letter = letters.get(at).copied().unwrap_or(b'e');
                letters.insert(at, letter);
            }
        }
        *word = String::from_utf8(letters).unwrap_or_else(|_| word.clone());
    }
    words.join(" ")
}
