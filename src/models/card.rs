//! What every model card shares: the kind of model ([`ModelKind`]) and the
//! header fields ([`CardHeader`]) that each card kind flattens into its own
//! struct, so the JSON stays the flat object earlier versions wrote
//! (`{"format_version": 1, "kind": "tabular", "name": …, …}`).
//!
//! The kind is checked in one place, [`super::bundle::read_card_of_kind`],
//! before the rest of a card is parsed: a recommender card given where a
//! tabular model is expected is refused as "this card is for a
//! recommender, not a tabular model", not as a missing field. A card without a `kind` (the
//! first cards were tabular only) reads as [`ModelKind::Tabular`].
//!
//! Uses serde only; the loaders are in `bundle`, `recommender` and
//! `word_vectors`.

use serde::{Deserialize, Serialize};

use super::bundle::WeightsRef;

/// The kinds of model cityops makes, loads and serves. The serde names are
/// the `kind` strings cards have always carried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// A neural network on a table: classification, regression or forecast
    /// (`NAME.json` + `NAME.safetensors`).
    #[default]
    Tabular,
    /// Collaborative filtering over user–item interactions.
    Recommender,
    /// word2vec vectors.
    WordVectors,
    /// A BERT sentence encoder: a Hugging Face folder (config.json,
    /// tokenizer.json, model.safetensors), never a card.
    SentenceEncoder,
}

impl ModelKind {
    /// Every kind, in the order they are listed.
    pub const ALL: [Self; 4] = [
        Self::Tabular,
        Self::Recommender,
        Self::WordVectors,
        Self::SentenceEncoder,
    ];

    /// The kind as cards and the server's metadata write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tabular => "tabular",
            Self::Recommender => "recommender",
            Self::WordVectors => "word_vectors",
            Self::SentenceEncoder => "sentence_encoder",
        }
    }

    /// The kind written as `as_str` writes it; `None` for any other text.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// "a tabular model", "a recommender", … for messages.
    pub fn described(self) -> &'static str {
        match self {
            Self::Tabular => "a tabular model",
            Self::Recommender => "a recommender",
            Self::WordVectors => "word vectors",
            Self::SentenceEncoder => "a sentence encoder",
        }
    }

    /// Kinds saved as a card and a weights file (all but sentence encoders,
    /// which are folders).
    pub fn has_card(self) -> bool {
        self != Self::SentenceEncoder
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields every card starts with, flattened into each card struct.
/// The training data's fingerprint is not here: tabular and recommender
/// cards always have one and word vectors never do, so it stays in the two
/// cards it belongs to rather than becoming optional for all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardHeader {
    /// The card format ([`super::bundle::FORMAT_VERSION`]).
    pub format_version: u32,
    /// Absent in the first tabular cards.
    #[serde(default)]
    pub kind: ModelKind,
    /// When the model was made (RFC 3339, seconds).
    pub created_at: String,
    /// The cityops that made it.
    pub cityops_version: String,
    /// The weights file beside the card, with its sha256 and size.
    pub weights: WeightsRef,
}

impl CardHeader {
    /// A header for a model of `kind` made now by this cityops.
    pub fn new(kind: ModelKind, weights: WeightsRef) -> Self {
        Self {
            format_version: super::bundle::FORMAT_VERSION,
            kind,
            created_at: jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .map_or_else(|_| String::new(), |t| t.to_string()),
            cityops_version: env!("CARGO_PKG_VERSION").to_owned(),
            weights,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_keep_the_strings_earlier_cards_carry() {
        for (kind, text) in [
            (ModelKind::Tabular, "\"tabular\""),
            (ModelKind::Recommender, "\"recommender\""),
            (ModelKind::WordVectors, "\"word_vectors\""),
            (ModelKind::SentenceEncoder, "\"sentence_encoder\""),
        ] {
            assert_eq!(serde_json::to_string(&kind).unwrap(), text);
            assert_eq!(serde_json::from_str::<ModelKind>(text).unwrap(), kind);
            assert_eq!(ModelKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ModelKind::parse("tensorflow"), None);
    }

    #[test]
    fn a_header_without_kind_is_tabular() {
        let h: CardHeader = serde_json::from_str(
            r#"{"format_version": 1, "created_at": "", "cityops_version": "0.1.0",
                "weights": {"file": "m.safetensors", "sha256": "", "bytes": 0}}"#,
        )
        .unwrap();
        assert_eq!(h.kind, ModelKind::Tabular);
    }

    /// The shipped cards were written by earlier versions, before the
    /// header was flattened in: each reads, and writes back as the same
    /// JSON object.
    #[test]
    fn cards_written_by_earlier_versions_load_and_round_trip() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        for name in ["aqi_forecast", "incident_risk", "traffic_volume_forecast"] {
            let path = dir.join(format!("{name}.json"));
            let card = super::super::bundle::read_card(&path).unwrap();
            assert_eq!(card.header.kind, ModelKind::Tabular);
            assert_eq!(card.header.weights.file, format!("{name}.safetensors"));
            let original: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            assert_eq!(serde_json::to_value(&card).unwrap(), original, "{name}");
        }
    }

    #[test]
    fn a_tabular_card_from_before_kinds_loads() {
        let tmp = tempfile::tempdir().unwrap();
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let mut card: serde_json::Value =
            serde_json::from_slice(&std::fs::read(shipped.join("incident_risk.json")).unwrap())
                .unwrap();
        card.as_object_mut().unwrap().remove("kind");
        let path = tmp.path().join("old.json");
        std::fs::write(&path, serde_json::to_vec(&card).unwrap()).unwrap();
        assert_eq!(
            super::super::bundle::card_kind(&path).unwrap(),
            ModelKind::Tabular
        );
        let read = super::super::bundle::read_card(&path).unwrap();
        assert_eq!(read.header.kind, ModelKind::Tabular);
        assert_eq!(read.name, "incident_risk");
    }

    /// A word-vector card laid out as earlier versions wrote it (the header
    /// fields around the card's own): read as word vectors, refused with
    /// its kind named where a recommender is expected.
    #[test]
    fn an_old_layout_word_vector_card_reads_and_its_kind_is_checked_once() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("w.json");
        std::fs::write(
            &path,
            r#"{
  "format_version": 1,
  "kind": "word_vectors",
  "name": "w",
  "dim": 2,
  "words": ["pothole", "light"],
  "params": null,
  "trained_words": 40,
  "created_at": "2026-05-01T10:00:00Z",
  "cityops_version": "0.1.0",
  "weights": {"file": "w.safetensors", "sha256": "ab", "bytes": 24}
}"#,
        )
        .unwrap();
        let card = super::super::word_vectors::read_word_vectors_card(&path).unwrap();
        assert_eq!(card.header.kind, ModelKind::WordVectors);
        assert_eq!(card.header.created_at, "2026-05-01T10:00:00Z");
        assert_eq!(card.header.weights.bytes, 24);
        assert_eq!(card.words, ["pothole", "light"]);
        let err = super::super::recommender::read_recommender_card(&path)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("this card is for word vectors, not a recommender"),
            "{err}"
        );
    }
}
