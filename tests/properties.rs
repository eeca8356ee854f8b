//! Property tests: tables of every column kind, with quotes, delimiters,
//! newlines, unicode and missing values in them, written as CSV and loaded
//! back come back the same; model bundles saved and loaded come back the
//! same.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

use cityops::data::{Column, ColumnValues, Table, Validity};
use proptest::prelude::*;

/// Text that the loader must keep as text: it starts and ends with a letter
/// (the loader trims whitespace around category values, on purpose: messy
/// exports pad them), and may hold quotes, the four delimiters, line breaks
/// and non-ASCII characters.
fn text_cell() -> impl Strategy<Value = String> {
    proptest::string::string_regex("x[a-zA-Z0-9 ,;|\t\"'\n\r\u{e9}\u{4e2d}\u{6587}.-]{0,12}y")
        .unwrap()
}

#[derive(Clone, Debug)]
enum Kind {
    Text(Vec<Option<String>>),
    Float(Vec<Option<f64>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
}

fn column(rows: usize) -> impl Strategy<Value = Kind> {
    prop_oneof![
        proptest::collection::vec(proptest::option::weighted(0.85, text_cell()), rows)
            .prop_map(Kind::Text),
        proptest::collection::vec(proptest::option::weighted(0.85, -1.0e9f64..1.0e9), rows)
            .prop_map(Kind::Float),
        proptest::collection::vec(
            proptest::option::weighted(0.85, -1_000_000_000i64..1_000_000_000),
            rows
        )
        .prop_map(Kind::Int),
        proptest::collection::vec(proptest::option::weighted(0.85, any::<bool>()), rows)
            .prop_map(Kind::Bool),
    ]
}

fn validity<T>(v: &[Option<T>]) -> Validity {
    let mut val = Validity::with_capacity(v.len());
    for x in v {
        val.push(x.is_some());
    }
    val
}

fn to_column(name: String, k: &Kind) -> Column {
    match k {
        Kind::Text(v) => {
            let mut c = Column::text(
                name,
                &v.iter()
                    .map(|x| x.clone().unwrap_or_default())
                    .collect::<Vec<_>>(),
            );
            c.validity = validity(v);
            c
        }
        Kind::Float(v) => Column::new(
            name,
            ColumnValues::Float(v.iter().map(|x| x.unwrap_or(f64::NAN)).collect()),
            validity(v),
        ),
        Kind::Int(v) => Column::new(
            name,
            ColumnValues::Integer(v.iter().map(|x| x.unwrap_or(0)).collect()),
            validity(v),
        ),
        Kind::Bool(v) => Column::new(
            name,
            ColumnValues::Bool(v.iter().map(|x| x.unwrap_or(false)).collect()),
            validity(v),
        ),
    }
}

fn table() -> impl Strategy<Value = Vec<Kind>> {
    (3usize..30).prop_flat_map(|rows| proptest::collection::vec(column(rows), 1..6))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn csv_written_and_loaded_again_is_the_same_table(kinds in table()) {
        // Every column needs one value for its kind to be known.
        prop_assume!(kinds.iter().all(|k| match k {
            Kind::Text(v) => v.iter().any(Option::is_some),
            Kind::Float(v) => v.iter().any(Option::is_some),
            Kind::Int(v) => v.iter().any(Option::is_some),
            Kind::Bool(v) => v.iter().any(Option::is_some),
        }));
        let columns: Vec<Column> = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| to_column(format!("col_{i}"), k))
            .collect();
        let table = Table::new(columns).unwrap();
        let mut bytes = Vec::new();
        cityops::data::csv_write::write_csv(&table, &jiff::tz::TimeZone::UTC, &mut bytes).unwrap();
        let loaded = cityops::data::csv_load::load_csv_bytes(
            &bytes,
            "generated.csv",
            &Default::default(),
            &(),
        );
        let loaded = match loaded {
            Ok(l) => l,
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&bytes)))),
        };
        prop_assert_eq!(loaded.delimiter, b',', "{}", String::from_utf8_lossy(&bytes));
        prop_assert_eq!(loaded.table.n_rows(), table.n_rows(), "{}", String::from_utf8_lossy(&bytes));
        for (i, k) in kinds.iter().enumerate() {
            let c = loaded.table.column(&format!("col_{i}")).unwrap();
            for r in 0..table.n_rows() {
                match k {
                    Kind::Text(v) => prop_assert_eq!(c.str_at(r), v[r].as_deref(), "col {} row {}", i, r),
                    Kind::Float(v) => prop_assert_eq!(c.f64_at(r), v[r], "col {} row {}", i, r),
                    Kind::Int(v) => prop_assert_eq!(c.f64_at(r), v[r].map(|x| x as f64), "col {} row {}", i, r),
                    Kind::Bool(v) => prop_assert_eq!(
                        c.f64_at(r),
                        v[r].map(|b| f64::from(u8::from(b))),
                        "col {} row {}", i, r
                    ),
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn word_vectors_saved_as_a_bundle_load_back_exactly(
        words in proptest::collection::btree_set("[a-z\u{4e00}-\u{4e20}]{1,8}", 1..40),
        dim in 1usize..12,
        seed in any::<u64>(),
    ) {
        let words: Vec<String> = words.into_iter().collect();
        let mut rng = cityops::data::rng::Rng::new(seed);
        let vectors: Vec<f32> = (0..words.len() * dim).map(|_| (rng.uniform() * 2.0 - 1.0) as f32).collect();
        let counts: Vec<u64> = (0..words.len() as u64).rev().collect();
        let v = cityops::text::WordVectors::new(words, dim, vectors, counts).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wv");
        cityops::models::word_vectors::save_word_vectors(&path, &v, None, None).unwrap();
        let (_, back) = cityops::models::word_vectors::load_word_vectors(&path).unwrap();
        prop_assert_eq!(back.words, v.words);
        prop_assert_eq!(back.dim, v.dim);
        prop_assert_eq!(back.vectors, v.vectors);
        prop_assert_eq!(back.counts, v.counts);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// A recommender built on generated interactions (ids with spaces,
    /// accents and Chinese; ratings or presence; either method), saved as a
    /// bundle and loaded back, recommends exactly what it did before.
    #[test]
    fn recommenders_saved_as_a_bundle_recommend_the_same_after_loading(
        pairs in proptest::collection::vec(("[a-zé\u{4e00}-\u{4e08} ]{1,6}", "[a-z\u{4e00}-\u{4e08}]{1,5}", 1u8..6), 2..80),
        item_based in any::<bool>(),
        explicit in any::<bool>(),
    ) {
        use cityops::recommend::{CfParams, ColumnChoice, Interactions, Method, Recommender};
        let users: Vec<&str> = pairs.iter().map(|p| p.0.as_str()).collect();
        let items: Vec<&str> = pairs.iter().map(|p| p.1.as_str()).collect();
        let ratings: Vec<f32> = pairs.iter().map(|p| if explicit { f32::from(p.2) } else { 1.0 }).collect();
        let inter = Interactions::from_triples(&users, &items, &ratings);
        let method = if item_based { Method::ItemCf } else { Method::UserCf };
        let rec = Recommender::build(std::sync::Arc::new(inter), method, CfParams::default(), &()).unwrap();
        let columns = ColumnChoice {
            user: "resident".to_owned(),
            item: "service".to_owned(),
            rating: explicit.then(|| "rating".to_owned()),
            count: None,
            time: None,
        };
        let data = cityops::models::bundle::DataFingerprint {
            name: "generated".to_owned(),
            sha256: String::new(),
            rows: pairs.len(),
            columns: 3,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec");
        cityops::models::recommender::save_recommender(&path, &rec, &columns, data, None).unwrap();
        let (card, back) = cityops::models::recommender::load_recommender(&path).unwrap();
        prop_assert_eq!(&card.users, &rec.interactions.users);
        prop_assert_eq!(&card.items, &rec.interactions.items);
        for u in 0..rec.interactions.users.len() {
            let before = rec.recommend(u, 5);
            let after = back.recommend(u, 5);
            prop_assert_eq!(format!("{before:?}"), format!("{after:?}"), "user {}", u);
        }
    }
}

/// One data line of a generated file with defects.
#[derive(Clone, Debug)]
enum Defect {
    None,
    /// One field more than the header.
    ExtraField,
    /// One field fewer.
    MissingField,
    /// A word where the number column has numbers.
    StrayWord,
    /// A quote opening a field and never closed (at most one per file).
    UnclosedQuote,
}

fn defect() -> impl Strategy<Value = Defect> {
    prop_oneof![
        12 => Just(Defect::None),
        1 => Just(Defect::ExtraField),
        1 => Just(Defect::MissingField),
        1 => Just(Defect::StrayWord),
        1 => Just(Defect::UnclosedQuote),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// No row is lost silently: every data line of the file is a row of the
    /// table or a row the load counted as skipped (and warned about), or the
    /// whole load is refused with an error that says why.
    #[test]
    fn no_row_is_lost_silently(
        n_cols in 2usize..6,
        lines in proptest::collection::vec((defect(), 0u32..1000), 1..80),
    ) {
        let mut text = (0..n_cols).map(|c| format!("c{c}")).collect::<Vec<_>>().join(",");
        text.push('\n');
        let mut quoted = false;
        for (i, (d, v)) in lines.iter().enumerate() {
            let mut fields: Vec<String> = (0..n_cols)
                .map(|c| if c == 0 { format!("{v}") } else { format!("w{i}x{c}") })
                .collect();
            match d {
                Defect::None => {}
                Defect::ExtraField => fields.push("extra".to_owned()),
                Defect::MissingField => {
                    fields.pop();
                }
                Defect::StrayWord => fields[0] = "unknown".to_owned(),
                Defect::UnclosedQuote if !quoted => {
                    quoted = true;
                    let last = fields.len() - 1;
                    fields[last] = format!("\"open {}", fields[last]);
                }
                Defect::UnclosedQuote => {}
            }
            text.push_str(&fields.join(","));
            text.push('\n');
        }
        let data_lines = lines.len();
        match cityops::data::csv_load::load_csv_bytes(text.as_bytes(), "defects.csv", &Default::default(), &()) {
            Ok(l) => {
                prop_assert_eq!(l.counts.records, data_lines, "{}", text);
                prop_assert_eq!(
                    l.table.n_rows() + l.counts.rows_skipped,
                    data_lines,
                    "{}\n{:?}", text, l.warnings
                );
                // Every skip and re-read is in the warnings (named, or
                // counted past the first twenty).
                if l.counts.rows_skipped > 0 {
                    prop_assert!(l.warnings.iter().any(|w| w.message.contains("skipped")));
                }
                if l.counts.rows_requoted > 0 {
                    prop_assert!(l.warnings.iter().any(|w| w.message.contains("quote")));
                }
            }
            Err(e) => {
                // Refusing the file is not a silent loss, if it says why.
                let msg = e.to_string();
                prop_assert!(msg.contains("defects.csv"), "{}", msg);
            }
        }
    }
}
