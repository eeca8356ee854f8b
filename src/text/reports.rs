//! Citizen reports analysed, the one pipeline behind `cityops text
//! classify` and the dashboard's Reports view: the reports of a table
//! ([`Reports`]: text, department, time; tokens and idf), their vectors
//! (through an [`Encoder`]: word vectors, a sentence encoder or a remote
//! endpoint — the last two live in `models`, which implements the trait),
//! the department router trained on the labelled ones, and, when asked,
//! the overview the dashboard draws: topics, the reports and the frequent
//! words on their first two principal components, and the terms trending
//! week by week. [`Analysis::query`] routes one new report and finds the
//! most similar past ones.
//!
//! One set of rules: a router is trained when at least
//! [`MIN_LABELLED_REPORTS`] reports have a department and there are two
//! departments or more; otherwise [`Analysis::router`] says why not.
//!
//! Uses `data` (tables, progress, local time), `ml` (the router's trainer)
//! and the rest of `text`; never `models` or egui.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use jiff::tz::TimeZone;

use super::route::{Router, train_router_on};
use super::topics::{self, Topic, pca2};
use super::{Tokenizer, WordVectors};
use crate::data::timeseries::{LocalClock, MICROS_PER_DAY};
use crate::data::{Blame, Dataset, Progress, Role, TimestampMicros};
use crate::ml::evaluate::Evaluation;
use crate::ml::{MlError, TrainConfig};

/// Fewest reports with a department a router is trained on.
pub const MIN_LABELLED_REPORTS: usize = 20;
/// Topics the reports are grouped into.
pub const TOPICS: usize = 8;
/// Words that name each topic.
const TOPIC_WORDS: usize = 3;
/// Seed of the topics' clustering.
const TOPIC_SEED: u64 = 7;
/// Most reports placed on the plane of principal components (evenly
/// spread over the table).
pub const MAX_REPORT_POINTS: usize = 2000;
/// The most frequent words placed on the word map.
pub const MAP_WORDS: usize = 300;
/// Terms followed week by week.
pub const TRENDING_TERMS: usize = 5;
/// Latest weeks listed with their own top terms.
pub const WEEKS_OF_KEYWORDS: usize = 8;
/// Top terms listed per week.
const TERMS_PER_WEEK: usize = 6;
/// A report's top keywords that count towards trends.
const KEYWORDS_PER_REPORT: usize = 3;

/// How reports become vectors: one unit-length row of `dim` values per
/// text, and `dim`. `models::encoder::ReportEncoder` implements it for word
/// vectors, sentence encoders and remote endpoints.
pub trait Encoder {
    type Error: std::error::Error + Blame;
    fn encode(
        &self,
        texts: &[String],
        progress: &dyn Progress,
    ) -> Result<(Vec<f32>, usize), Self::Error>;
}

/// Why reports could not be analysed or routed: what, where and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReportsError {
    #[error("the table has no column '{column}'; its columns are: {columns}")]
    NoColumn { column: String, columns: String },
    #[error(
        "no column holds the reports' text (none has the role 'text'); name the text column (its columns are: {columns})"
    )]
    NoTextColumn { columns: String },
    #[error(
        "only {labelled} reports have a department; a router needs at least {needed}. Give a department column with more filled rows"
    )]
    TooFewLabelled { labelled: usize, needed: usize },
    /// Encoding the reports failed; the message says why, and whether it
    /// is the user's input was taken from the encoder's error.
    #[error("{message}")]
    Encode { message: String, user_input: bool },
    #[error("{0}")]
    Router(#[from] MlError),
    /// Routing was asked of an analysis without a router; `why` says why
    /// there is none.
    #[error("no department router was trained: {why}")]
    NoRouter { why: String, user_input: bool },
}

impl Blame for ReportsError {
    fn is_user_input(&self) -> bool {
        match self {
            Self::NoColumn { .. } | Self::NoTextColumn { .. } | Self::TooFewLabelled { .. } => true,
            Self::Encode { user_input, .. } | Self::NoRouter { user_input, .. } => *user_input,
            Self::Router(e) => e.is_user_input(),
        }
    }
}

impl ReportsError {
    fn encode(e: &(impl std::error::Error + Blame)) -> Self {
        Self::Encode {
            message: e.to_string(),
            user_input: e.is_user_input(),
        }
    }
}

/// One report.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub text: String,
    /// The department it went to, when known (what the router learns).
    pub department: Option<String>,
    pub time: Option<TimestampMicros>,
}

/// The reports, tokenised once, with the inverse document frequencies of
/// their words.
pub struct Reports {
    pub items: Vec<Report>,
    /// The zone whose weeks the trends count in.
    pub tz: TimeZone,
    /// Each report's tokens.
    pub tokens: Vec<Vec<String>>,
    pub idf: Arc<HashMap<String, f32>>,
}

impl Reports {
    pub fn new(items: Vec<Report>, tz: TimeZone) -> Self {
        let tok = Tokenizer::shared();
        let tokens: Vec<Vec<String>> = items.iter().map(|r| tok.tokenize(&r.text)).collect();
        let idf = Arc::new(super::idf(&tokens));
        Self {
            items,
            tz,
            tokens,
            idf,
        }
    }

    /// The reports of `ds`: every row with a text in `text_column` (by
    /// default the column with the text role), its department from
    /// `department_column` (by default the table's category column, if it
    /// has one) and its time from the time column.
    pub fn from_dataset(
        ds: &Dataset,
        text_column: Option<&str>,
        department_column: Option<&str>,
    ) -> Result<Self, ReportsError> {
        let columns = || ds.table.column_names();
        let named = |name: &str| {
            ds.table.column(name).ok_or_else(|| ReportsError::NoColumn {
                column: name.to_owned(),
                columns: columns(),
            })
        };
        let text = match text_column {
            Some(name) => named(name)?,
            None => ds
                .column_for(Role::Text)
                .ok_or_else(|| ReportsError::NoTextColumn { columns: columns() })?,
        };
        let department = match department_column {
            Some(name) => Some(named(name)?),
            None => ds.category_column(),
        };
        let time = ds.time_column();
        let items = (0..ds.table.n_rows())
            .filter_map(|r| {
                Some(Report {
                    text: text.str_at(r)?.to_owned(),
                    department: department.and_then(|c| crate::ml::features::cell_key(c, r)),
                    time: time.and_then(|c| c.timestamp_at(r)),
                })
            })
            .collect();
        Ok(Self::new(items, ds.time_zone.clone()))
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The reports' texts, in order.
    pub fn texts(&self) -> Vec<String> {
        self.items.iter().map(|r| r.text.clone()).collect()
    }

    /// How many reports have a department.
    pub fn labelled(&self) -> usize {
        self.items.iter().filter(|r| r.department.is_some()).count()
    }
}

/// What to analyse and how.
pub struct Input<E> {
    pub reports: Reports,
    pub encoder: E,
    /// The word vectors the encoder uses, if it uses word vectors: the
    /// word map places their most frequent words.
    pub vectors: Option<Arc<WordVectors>>,
    /// Also compute the [`Overview`] (the dashboard draws it; `text
    /// classify` needs only the router).
    pub overview: bool,
}

/// The reports seen from above.
#[derive(Default)]
pub struct Overview {
    /// Topics of the reports, largest first, and each report's topic.
    pub topics: Vec<Topic>,
    pub topic_of: Vec<usize>,
    /// Reports (by index) on the plane of the document vectors' first two
    /// principal components, at most [`MAX_REPORT_POINTS`].
    pub report_points: Vec<(usize, [f64; 2])>,
    /// The [`MAP_WORDS`] most frequent words on their first two principal
    /// components (empty without word vectors).
    pub word_map: Vec<(String, [f64; 2])>,
    /// The [`TRENDING_TERMS`] terms with the highest total tf-idf: reports
    /// per week mentioning each, as (week start in seconds, count).
    pub trends: Vec<(String, Vec<[f64; 2]>)>,
    /// The latest weeks, newest first: week start (seconds), reports that
    /// week, and the week's top terms by summed tf-idf.
    pub weekly_keywords: Vec<(f64, usize, Vec<String>)>,
}

/// The analysed reports.
pub struct Analysis<E> {
    pub reports: Reports,
    pub encoder: E,
    pub vectors: Option<Arc<WordVectors>>,
    /// One unit vector of `dim` values per report.
    pub doc_vectors: Vec<f32>,
    pub dim: usize,
    /// The department router and its evaluation on held-out reports, or
    /// why there is none.
    pub router: Result<(Router, Evaluation), ReportsError>,
    pub overview: Overview,
}

/// A new report's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub text: String,
    /// Departments, most likely first, with their probability (empty
    /// without a router).
    pub routed: Vec<(String, f64)>,
    /// The most similar past reports: (cosine, index in the reports).
    pub similar: Vec<(f32, usize)>,
}

/// Past reports shown per query.
const SIMILAR_REPORTS: usize = 5;

impl<E: Encoder> Analysis<E> {
    /// Routes `text` and finds the most similar past reports.
    pub fn query(&self, text: &str, progress: &dyn Progress) -> Result<Query, ReportsError> {
        let (q, dim) = self
            .encoder
            .encode(&[text.to_owned()], progress)
            .map_err(|e| ReportsError::encode(&e))?;
        let routed = match &self.router {
            Ok((router, _)) => router
                .route_embedded(&q, dim)?
                .into_iter()
                .next()
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        Ok(Query {
            text: text.to_owned(),
            routed,
            similar: most_similar(&self.doc_vectors, self.dim, &q, SIMILAR_REPORTS),
        })
    }

    /// The departments of each of `texts`, most likely first; the error
    /// says why there is no router.
    pub fn route(
        &self,
        texts: &[String],
        progress: &dyn Progress,
    ) -> Result<Vec<Vec<(String, f64)>>, ReportsError> {
        let (router, _) = self.router.as_ref().map_err(|e| ReportsError::NoRouter {
            why: e.to_string(),
            user_input: e.is_user_input(),
        })?;
        let (x, dim) = self
            .encoder
            .encode(texts, progress)
            .map_err(|e| ReportsError::encode(&e))?;
        Ok(router.route_embedded(&x, dim)?)
    }
}

/// Encodes the reports, trains the router on the labelled ones and, when
/// asked, computes the overview.
pub fn analyse<E: Encoder>(
    input: Input<E>,
    progress: &dyn Progress,
) -> Result<Analysis<E>, ReportsError> {
    let Input {
        reports,
        encoder,
        vectors,
        overview,
    } = input;
    let (doc_vectors, dim) = encoder
        .encode(&reports.texts(), progress)
        .map_err(|e| ReportsError::encode(&e))?;
    progress.report(0.92, "Training the department router");
    let router = train_router(&reports, &doc_vectors, dim, progress);
    let overview = if overview {
        progress.report(0.95, "Topics");
        overview_of(&reports, &doc_vectors, dim, vectors.as_deref())
    } else {
        Overview::default()
    };
    Ok(Analysis {
        reports,
        encoder,
        vectors,
        doc_vectors,
        dim,
        router,
        overview,
    })
}

/// The router on the reports with a department, by the one rule.
fn train_router(
    reports: &Reports,
    doc_vectors: &[f32],
    dim: usize,
    progress: &dyn Progress,
) -> Result<(Router, Evaluation), ReportsError> {
    let labelled: Vec<(usize, &str)> = reports
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((i, r.department.as_deref()?)))
        .collect();
    if labelled.len() < MIN_LABELLED_REPORTS {
        return Err(ReportsError::TooFewLabelled {
            labelled: labelled.len(),
            needed: MIN_LABELLED_REPORTS,
        });
    }
    let mut x = Vec::with_capacity(labelled.len().saturating_mul(dim));
    let mut labels = Vec::with_capacity(labelled.len());
    for &(i, department) in &labelled {
        x.extend_from_slice(doc_vectors.get(i * dim..(i + 1) * dim).unwrap_or(&[]));
        labels.push(department.to_owned());
    }
    Ok(train_router_on(
        &x,
        dim,
        &labels,
        &TrainConfig::default(),
        progress,
    )?)
}

/// Topics, the two planes and the weekly trends.
fn overview_of(
    reports: &Reports,
    doc_vectors: &[f32],
    dim: usize,
    vectors: Option<&WordVectors>,
) -> Overview {
    let docs = &reports.tokens;
    let (topics, topic_of) = topics::topics(
        doc_vectors,
        dim,
        docs,
        &reports.idf,
        TOPICS,
        TOPIC_WORDS,
        TOPIC_SEED,
    );
    let step = reports.len().div_ceil(MAX_REPORT_POINTS).max(1);
    let shown: Vec<usize> = (0..reports.len()).step_by(step).collect();
    let rows: Vec<&[f32]> = shown
        .iter()
        .filter_map(|&i| doc_vectors.get(i * dim..(i + 1) * dim))
        .collect();
    let report_points = shown.into_iter().zip(pca2(&rows, dim)).collect();
    // The vocabulary is in frequency order.
    let word_map = match vectors {
        Some(v) => {
            let top = v.len().min(MAP_WORDS);
            let unit = v.normalized();
            let rows: Vec<&[f32]> = (0..top)
                .filter_map(|i| unit.get(i * v.dim..(i + 1) * v.dim))
                .collect();
            v.words
                .iter()
                .take(top)
                .cloned()
                .zip(pca2(&rows, v.dim))
                .collect()
        }
        None => Vec::new(),
    };
    let (trends, weekly_keywords) = trends(reports);
    Overview {
        topics,
        topic_of,
        report_points,
        word_map,
        trends,
        weekly_keywords,
    }
}

type Trends = (Vec<(String, Vec<[f64; 2]>)>, Vec<(f64, usize, Vec<String>)>);

/// Weekly counts of the terms with the highest total tf-idf, and each of
/// the latest weeks' own top terms. Weeks start on Monday in the reports'
/// zone.
fn trends(reports: &Reports) -> Trends {
    let docs = &reports.tokens;
    let times: Vec<Option<TimestampMicros>> = reports.items.iter().map(|r| r.time).collect();
    let mut clock = LocalClock::new(&reports.tz);
    let mut week_of =
        |t: TimestampMicros| clock.day_start(t) - (clock.weekday(t) as i64) * MICROS_PER_DAY;
    let weeks: Vec<Option<i64>> = times.iter().map(|t| t.map(&mut week_of)).collect();
    let mut score: HashMap<&str, f32> = HashMap::new();
    let mut by_week: BTreeMap<i64, (usize, HashMap<&str, f32>)> = BTreeMap::new();
    for (d, week) in docs.iter().zip(&weeks) {
        if let Some(w) = week {
            by_week.entry(*w).or_default().0 += 1;
        }
        for (w, s) in super::top_keywords(d, &reports.idf, KEYWORDS_PER_REPORT) {
            if let Some(k) = d.iter().find(|x| **x == w) {
                *score.entry(k.as_str()).or_insert(0.0) += s;
                if let Some(e) = week.and_then(|wk| by_week.get_mut(&wk)) {
                    *e.1.entry(k.as_str()).or_insert(0.0) += s;
                }
            }
        }
    }
    let weekly_keywords = by_week
        .into_iter()
        .rev()
        .take(WEEKS_OF_KEYWORDS)
        .map(|(week, (n, scores))| {
            let top = by_score(scores)
                .into_iter()
                .take(TERMS_PER_WEEK)
                .map(|(t, _)| t.to_owned())
                .collect();
            (week as f64 / 1e6, n, top)
        })
        .collect();
    let trends = by_score(score)
        .into_iter()
        .take(TRENDING_TERMS)
        .map(|(term, _)| {
            let mut counts: BTreeMap<i64, f64> = BTreeMap::new();
            for (d, week) in docs.iter().zip(&weeks) {
                if let Some(w) = week
                    && d.iter().any(|x| x == term)
                {
                    *counts.entry(*w).or_insert(0.0) += 1.0;
                }
            }
            let points = counts
                .into_iter()
                .map(|(w, c)| [w as f64 / 1e6, c])
                .collect();
            (term.to_owned(), points)
        })
        .collect();
    (trends, weekly_keywords)
}

/// Terms by score, highest first (ties in alphabetical order).
fn by_score(scores: HashMap<&str, f32>) -> Vec<(&str, f32)> {
    let mut terms: Vec<(&str, f32)> = scores.into_iter().collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    terms
}

/// The rows of `matrix` (unit vectors of `dim` values) most similar to
/// `query`, best first: (cosine, row index).
pub fn most_similar(matrix: &[f32], dim: usize, query: &[f32], top: usize) -> Vec<(f32, usize)> {
    if dim == 0 || query.len() != dim {
        return Vec::new();
    }
    let mut sims: Vec<(f32, usize)> = matrix
        .chunks_exact(dim)
        .enumerate()
        .map(|(i, d)| (d.iter().zip(query).map(|(x, y)| x * y).sum::<f32>(), i))
        .collect();
    sims.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    sims.truncate(top);
    sims
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Column, Source, Table, Validity};
    use crate::text::TextError;

    /// Two dimensions: how much a report speaks of lights, and of rubbish.
    struct Toy;

    impl Encoder for Toy {
        type Error = TextError;

        fn encode(
            &self,
            texts: &[String],
            _: &dyn Progress,
        ) -> Result<(Vec<f32>, usize), TextError> {
            let mut out = Vec::new();
            for t in texts {
                let light = t.matches("light").count() as f32;
                let trash = t.matches("trash").count() as f32;
                let norm = (light * light + trash * trash).sqrt().max(1e-6);
                out.extend([light / norm, trash / norm]);
            }
            Ok((out, 2))
        }
    }

    /// 2026-09-07 is a Monday.
    const MONDAY_SEPT_7: TimestampMicros = 1_788_739_200_000_000;

    /// `n` reports alternating streetlight and trash ones, a department
    /// for the first `labelled`, one a day from Monday 7 September 2026.
    fn table(n: usize, labelled: usize) -> Dataset {
        let (mut text, mut dept, mut at) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..n {
            let light = i % 2 == 0;
            text.push(if light {
                "streetlight out, the light is dark"
            } else {
                "trash not collected, trash everywhere"
            });
            dept.push(match (i < labelled, light) {
                (false, _) => "",
                (true, true) => "streets",
                (true, false) => "sanitation",
            });
            at.push(MONDAY_SEPT_7 + i as i64 * MICROS_PER_DAY);
        }
        let mut dept = Column::categorical("department", &dept);
        let mut validity = Validity::with_capacity(n);
        for i in 0..n {
            validity.push(i < labelled);
        }
        dept.validity = validity;
        Dataset::from_table(
            "reports",
            Source::Demo("reports".to_owned()),
            Table::new(vec![
                Column::categorical("text", &text),
                dept,
                Column::from_timestamps("at", at),
            ])
            .unwrap(),
            TimeZone::UTC,
        )
    }

    fn analysed(n: usize, labelled: usize, overview: bool) -> Analysis<Toy> {
        let reports =
            Reports::from_dataset(&table(n, labelled), Some("text"), Some("department")).unwrap();
        let input = Input {
            reports,
            encoder: Toy,
            vectors: None,
            overview,
        };
        analyse(input, &()).unwrap()
    }

    #[test]
    fn reports_are_read_with_their_department_and_time_and_a_missing_column_is_named() {
        let reports =
            Reports::from_dataset(&table(4, 2), Some("text"), Some("department")).unwrap();
        assert_eq!(reports.len(), 4);
        assert_eq!(reports.labelled(), 2);
        assert_eq!(reports.items[1].department.as_deref(), Some("sanitation"));
        assert_eq!(reports.items[3].department, None);
        assert_eq!(
            reports.items[2].time,
            Some(MONDAY_SEPT_7 + 2 * MICROS_PER_DAY)
        );
        assert!(reports.idf.contains_key("trash"));
        let err = Reports::from_dataset(&table(4, 2), Some("body"), None)
            .err()
            .unwrap();
        let text = err.to_string();
        assert!(
            text.contains("'body'") && text.contains("text, department, at"),
            "{text}"
        );
        assert!(err.is_user_input());
    }

    #[test]
    fn a_router_needs_twenty_labelled_reports_whoever_asks() {
        let few = analysed(40, MIN_LABELLED_REPORTS - 1, false);
        let Err(err) = &few.router else {
            panic!("a router on 19 labelled reports")
        };
        assert!(matches!(
            err,
            ReportsError::TooFewLabelled {
                labelled: 19,
                needed: 20
            }
        ));
        assert!(err.is_user_input());
        // Routing without a router says why.
        let why = few.route(&["light".to_owned()], &()).err().unwrap();
        assert!(why.to_string().contains("only 19 reports"), "{why}");

        let enough = analysed(60, MIN_LABELLED_REPORTS, false);
        let (_, eval) = enough.router.as_ref().unwrap();
        assert_eq!(eval.rows_train + eval.rows_valid, 20);
        let routed = enough
            .route(&["the light is out".to_owned(), "trash".to_owned()], &())
            .unwrap();
        assert_eq!(routed[0][0].0, "streets");
        assert_eq!(routed[1][0].0, "sanitation");
    }

    #[test]
    fn a_query_routes_the_report_and_finds_the_most_similar_past_ones() {
        let a = analysed(60, 60, false);
        let q = a.query("a light flickers", &()).unwrap();
        assert_eq!(q.routed.first().map(|r| r.0.as_str()), Some("streets"));
        assert_eq!(q.similar.len(), 5);
        for (cos, i) in &q.similar {
            assert!((cos - 1.0).abs() < 1e-5, "{cos}");
            assert_eq!(i % 2, 0, "report {i} is a trash report");
        }
    }

    #[test]
    fn the_overview_counts_reports_per_monday_week_and_only_when_asked() {
        let a = analysed(21, 21, true);
        let o = &a.overview;
        // 21 days from a Monday: three weeks of seven reports.
        let weeks: Vec<(f64, usize)> = o.weekly_keywords.iter().map(|(w, n, _)| (*w, *n)).collect();
        let monday = MONDAY_SEPT_7 as f64 / 1e6;
        let week = 7.0 * 86_400.0;
        assert_eq!(
            weeks,
            [(monday + 2.0 * week, 7), (monday + week, 7), (monday, 7)]
        );
        let (_, trash) = o
            .trends
            .iter()
            .find(|(term, _)| term == "trash")
            .expect("trash trends");
        // Reports 1, 3, 5 in the first week; 7, 9, 11, 13 in the second.
        assert_eq!(trash[..2], [[monday, 3.0], [monday + week, 4.0]]);
        assert_eq!(o.report_points.len(), 21);
        assert_eq!(o.topic_of.len(), 21);
        assert!(o.word_map.is_empty(), "no word vectors, no word map");

        let none = analysed(21, 21, false);
        assert!(none.overview.trends.is_empty() && none.overview.topics.is_empty());
    }

    #[test]
    fn most_similar_ranks_rows_by_cosine_and_breaks_ties_by_row() {
        let m = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.6, 0.8];
        assert_eq!(
            most_similar(&m, 2, &[1.0, 0.0], 3),
            [(1.0, 0), (1.0, 2), (0.6, 3)]
        );
        assert!(most_similar(&m, 2, &[1.0], 3).is_empty());
    }
}
