//! Recommending city services to residents by collaborative filtering.
//!
//! This module owns the resident × service interaction matrix
//! ([`Interactions`], read from a [`Dataset`] through a [`ColumnChoice`]),
//! the recommenders built on it (item–item cosine CF, user–user cosine CF
//! and the popularity baseline, in [`cf`]), the explanations that come with
//! a recommendation, and the ranking metrics and hold-out evaluation that
//! say whether CF beats popularity ([`eval`]).
//!
//! It uses `data` (tables, roles, progress, the seeded RNG), serde and
//! thiserror, and nothing else: it must not import egui, candle, tokio or
//! `models`. Saving a recommender is the model bundle's job; drawing it is
//! the app's.
//!
//! # Why our own sparse matrix
//!
//! [`Csr`] is a hundred-odd lines: compressed sparse rows with `u32` column
//! indices, row access, an O(nnz) transpose (which doubles as CSC), row
//! norms, and nothing else. That is all item and user CF need: the hot loop
//! walks a row of the item × user matrix and, for each user, a row of the
//! user × item matrix, accumulating products into a dense per-thread `f32`
//! buffer. A sparse-matrix crate would give us general sparse × sparse
//! products (which build a full item × item matrix we do not want: we keep
//! only the top-k per item), formats we never use and another dependency to
//! audit and keep in step, while the loop that matters would still be ours.
//!
//! Long steps (similarities, recommending for everyone, evaluation) run on
//! all cores with `std::thread::scope`, report through
//! [`crate::data::Progress`] and stop early when it says cancelled.

pub mod cf;
pub mod eval;
pub mod sparse;

use std::collections::HashMap;

pub use cf::{CfParams, ItemNeighbours, Method, Recommendation, Recommender, item_neighbours};
pub use eval::{EvalReport, MethodScores, Split, evaluate, holdout};
pub use sparse::Csr;

use crate::data::{Column, ColumnKind, ColumnValues, Dataset, Progress, Role};

/// Why interactions or recommendations could not be produced: what, where
/// (which column, which id) and what to do.
#[derive(Debug, thiserror::Error)]
pub enum RecError {
    #[error(
        "column '{column}' is not in the dataset. Choose the user, item, rating, count and time columns among the dataset's columns (their roles in the Data view)."
    )]
    MissingColumn { column: String },
    #[error(
        "no user column: no column has the role 'user' and none is named like one (user, resident, citizen, customer, member…). Set the role of the column that identifies residents to 'user' in the Data view."
    )]
    NoUserColumn,
    #[error(
        "no item column: no column has the role 'item' and none is named like one (service, item, facility, programme…). Set the role of the column that names the services to 'item' in the Data view."
    )]
    NoItemColumn,
    /// The text says what is empty, which columns were read and what to do.
    #[error("nothing to recommend from: {0}")]
    Empty(String),
    #[error(
        "user '{user}' is not among the residents this recommender was built from. Check the id, or ask for popular services for new residents (the popularity fallback)."
    )]
    UnknownUser { user: String },
    #[error(
        "item '{item}' is not among the services this recommender knows. Check the id: only services that appear in the interactions are known."
    )]
    UnknownItem { item: String },
    /// A setting out of its range: which, its value, and the values that
    /// work.
    #[error("the recommender setting {field} is {value}; choose {allowed}")]
    InvalidParams {
        field: &'static str,
        value: String,
        allowed: String,
    },
    #[error("the recommender job was cancelled")]
    Cancelled,
}

impl crate::data::Blame for RecError {
    /// Columns, ids and settings are the user's; a cancel is not.
    fn is_user_input(&self) -> bool {
        match self {
            Self::MissingColumn { .. }
            | Self::NoUserColumn
            | Self::NoItemColumn
            | Self::Empty(_)
            | Self::UnknownUser { .. }
            | Self::UnknownItem { .. }
            | Self::InvalidParams { .. } => true,
            Self::Cancelled => false,
        }
    }
}

/// Which columns of a dataset hold the user, the item and, optionally, an
/// explicit rating, an implicit count and a time.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColumnChoice {
    pub user: String,
    pub item: String,
    pub rating: Option<String>,
    pub count: Option<String>,
    pub time: Option<String>,
}

/// Words in column names that suggest each role, used when no column has
/// the role set.
const USER_NAME_HINTS: &[&str] = &[
    "user", "userid", "resident", "citizen", "customer", "member", "person", "patron", "visitor",
    "client", "account",
];
const ITEM_NAME_HINTS: &[&str] = &[
    "item",
    "itemid",
    "service",
    "product",
    "facility",
    "program",
    "programme",
    "course",
    "venue",
    "resource",
];
const RATING_NAME_HINTS: &[&str] = &["rating", "stars", "score", "satisfaction"];
const COUNT_NAME_HINTS: &[&str] = &[
    "count",
    "visits",
    "uses",
    "times",
    "quantity",
    "qty",
    "plays",
    "clicks",
    "frequency",
];

/// Lower-case words of a column name: "ServiceID" → ["service", "id"],
/// "resident_id" → ["resident", "id"].
fn name_words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for ch in name.chars() {
        if ch.is_alphanumeric() {
            if ch.is_uppercase() && previous_lower && !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = ch.is_lowercase() || ch.is_ascii_digit();
            current.extend(ch.to_lowercase());
        } else {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = false;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn named_like(col: &Column, hints: &[&str]) -> bool {
    name_words(&col.name)
        .iter()
        .any(|w| hints.contains(&w.as_str()))
}

impl ColumnChoice {
    /// Recognises the columns from their roles ([`Role::User`],
    /// [`Role::Item`], [`Role::Rating`], [`Role::Count`], [`Role::Time`]),
    /// falling back to name hints for columns whose role says nothing.
    /// The user and item must be found; the rest are optional.
    pub fn detect(ds: &Dataset) -> Result<Self, RecError> {
        let columns = &ds.table.columns;
        let role_of = |i: usize| ds.schema.roles.get(i).copied().unwrap_or(Role::Other);
        let by_role =
            |role: Role| -> Option<usize> { (0..columns.len()).find(|&i| role_of(i) == role) };
        // A name hint may only claim a column that no other role claimed
        // as user or item, and that could hold ids.
        let by_hint = |hints: &[&str], accept: &dyn Fn(&Column) -> bool, taken: &[usize]| {
            columns.iter().enumerate().position(|(i, c)| {
                !taken.contains(&i)
                    && !matches!(role_of(i), Role::User | Role::Item | Role::Time)
                    && accept(c)
                    && named_like(c, hints)
            })
        };
        let id_like = |c: &Column| {
            matches!(
                c.kind(),
                ColumnKind::Categorical | ColumnKind::Text | ColumnKind::Integer
            )
        };
        let numeric = |c: &Column| c.kind().is_numeric();

        let user = by_role(Role::User)
            .or_else(|| by_hint(USER_NAME_HINTS, &id_like, &[]))
            .ok_or(RecError::NoUserColumn)?;
        let item = by_role(Role::Item)
            .filter(|&i| i != user)
            .or_else(|| by_hint(ITEM_NAME_HINTS, &id_like, &[user]))
            .ok_or(RecError::NoItemColumn)?;
        let taken = [user, item];
        let rating = by_role(Role::Rating)
            .or_else(|| by_hint(RATING_NAME_HINTS, &numeric, &taken))
            .filter(|i| !taken.contains(i));
        let count = by_role(Role::Count)
            .or_else(|| by_hint(COUNT_NAME_HINTS, &numeric, &taken))
            .filter(|i| !taken.contains(i) && Some(*i) != rating);
        let time = by_role(Role::Time)
            .or_else(|| {
                columns
                    .iter()
                    .position(|c| c.kind() == ColumnKind::Timestamp)
            })
            .filter(|i| !taken.contains(i));

        let name = |i: usize| columns.get(i).map(|c| c.name.clone());
        Ok(Self {
            user: name(user).ok_or(RecError::NoUserColumn)?,
            item: name(item).ok_or(RecError::NoItemColumn)?,
            rating: rating.and_then(name),
            count: count.and_then(name),
            time: time.and_then(name),
        })
    }
}

/// The resident × service matrix with its id vocabularies.
#[derive(Clone, Debug)]
pub struct Interactions {
    /// User ids, sorted; row `u` of `user_items` is `users[u]`.
    pub users: Vec<String>,
    /// Item ids, sorted; column `i` of `user_items` is `items[i]`.
    pub items: Vec<String>,
    /// Rows = users, columns = items; the value is the rating (explicit),
    /// the summed count (implicit counts) or 1.0 (presence). Duplicate
    /// `(user, item)` rows are merged: ratings keep the latest by time (the
    /// mean without a time column), counts are summed.
    pub user_items: Csr,
    /// True when a rating column is used.
    pub explicit: bool,
    /// Per non-zero of `user_items` (same order): the latest time of that
    /// pair, in the time column's units (microseconds since the epoch for
    /// timestamp columns); `i64::MIN` when every row of the pair lacked one.
    pub times: Option<Vec<i64>>,
}

/// How many rows [`Interactions::from_dataset_with_summary`] used and why
/// it skipped the others, so the caller can show it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LoadSummary {
    pub rows_read: usize,
    pub rows_used: usize,
    /// Rows without a user or an item.
    pub rows_missing_id: usize,
    /// Rows whose rating is missing or not a finite number, or whose count
    /// is not a positive finite number.
    pub rows_bad_value: usize,
}

impl LoadSummary {
    /// A sentence for the user when rows were skipped.
    pub fn warning(&self, cols: &ColumnChoice) -> Option<String> {
        let skipped = self.rows_missing_id + self.rows_bad_value;
        if skipped == 0 {
            return None;
        }
        let value_column = cols
            .rating
            .as_deref()
            .or(cols.count.as_deref())
            .unwrap_or("value");
        Some(format!(
            "{skipped} of {} rows were skipped: {} had no '{}' or no '{}', {} had no usable '{value_column}'.",
            self.rows_read, self.rows_missing_id, cols.user, cols.item, self.rows_bad_value
        ))
    }
}

/// Local ids per row of one column, and the strings they stand for.
struct LocalIds {
    per_row: Vec<Option<u32>>,
    vocabulary: Vec<String>,
}

/// Numbers as ids: integral floats print without a fraction ("12", not "12.0").
fn float_id(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// The id in `col` at `row` as text, for columns that are not categorical.
fn id_text(col: &Column, row: usize) -> Option<String> {
    if !col.is_valid(row) {
        return None;
    }
    match &col.values {
        ColumnValues::Integer(v) => v.get(row).map(i64::to_string),
        ColumnValues::Timestamp(v) => v.get(row).map(i64::to_string),
        ColumnValues::Float(v) => v.get(row).filter(|x| x.is_finite()).map(|&x| float_id(x)),
        ColumnValues::Bool(v) => v.get(row).map(bool::to_string),
        ColumnValues::Text(_) | ColumnValues::Categorical { .. } => {
            col.str_at(row).map(str::to_owned)
        }
    }
}

/// Interns the ids of a column: categorical columns reuse their codes,
/// anything else (numbers are stringified) goes through a hash map.
fn local_ids(col: &Column) -> LocalIds {
    let n_rows = col.len();
    if let ColumnValues::Categorical { dictionary, .. } = &col.values {
        return LocalIds {
            per_row: (0..n_rows).map(|r| col.code_at(r)).collect(),
            vocabulary: dictionary.clone(),
        };
    }
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut vocabulary = Vec::new();
    let per_row = (0..n_rows)
        .map(|r| {
            let text = id_text(col, r)?;
            if let Some(&id) = index.get(&text) {
                return Some(id);
            }
            let id = vocabulary.len() as u32;
            vocabulary.push(text.clone());
            index.insert(text, id);
            Some(id)
        })
        .collect();
    LocalIds {
        per_row,
        vocabulary,
    }
}

/// The sorted, de-duplicated vocabulary of the used local ids, and the map
/// from local id to final index (`u32::MAX` for unused ids).
fn compact_vocabulary(local: &[String], used: &[bool]) -> (Vec<String>, Vec<u32>) {
    let mut order: Vec<(&str, usize)> = local
        .iter()
        .enumerate()
        .filter(|&(i, _)| used.get(i).copied().unwrap_or(false))
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    order.sort_unstable();
    let mut vocabulary: Vec<String> = Vec::with_capacity(order.len());
    let mut remap = vec![u32::MAX; local.len()];
    for (text, local_id) in order {
        if vocabulary.last().map(String::as_str) != Some(text) {
            vocabulary.push(text.to_owned());
        }
        if let Some(slot) = remap.get_mut(local_id) {
            *slot = (vocabulary.len() - 1) as u32;
        }
    }
    (vocabulary, remap)
}

/// How duplicate `(user, item)` rows are merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Merge {
    /// Ratings: the latest by time, or the mean without times.
    Rating { by_time: bool },
    /// Counts: summed.
    Sum,
    /// Presence: 1.0.
    One,
}

/// One row of input: user, item, value, time.
type Record = (u32, u32, f32, i64);

/// Sorts the records and merges duplicate pairs into a matrix and, when
/// `keep_times`, the latest time of every pair.
fn merge_records(
    records: &mut [Record],
    n_users: usize,
    n_items: usize,
    merge: Merge,
    keep_times: bool,
) -> (Csr, Option<Vec<i64>>) {
    // Stable: equal times keep row order, so "latest" is the last row.
    records.sort_by_key(|&(u, i, _, t)| (u, i, t));
    let mut indptr = vec![0usize; n_users + 1];
    let mut indices = Vec::new();
    let mut values = Vec::new();
    let mut times = Vec::new();
    for group in records.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let value = match merge {
            Merge::Rating { by_time: true } => last.2,
            Merge::Rating { by_time: false } => {
                let sum: f64 = group.iter().map(|r| f64::from(r.2)).sum();
                (sum / group.len() as f64) as f32
            }
            Merge::Sum => group.iter().map(|r| r.2).sum(),
            Merge::One => 1.0,
        };
        if (first.0 as usize) >= n_users || (first.1 as usize) >= n_items {
            continue;
        }
        indices.push(first.1);
        values.push(value);
        times.push(last.3);
        if let Some(count) = indptr.get_mut(first.0 as usize + 1) {
            *count += 1;
        }
    }
    for u in 0..n_users {
        let before = indptr.get(u).copied().unwrap_or(0);
        if let Some(p) = indptr.get_mut(u + 1) {
            *p += before;
        }
    }
    let matrix = Csr {
        indptr,
        indices,
        values,
        n_cols: n_items,
    };
    (matrix, keep_times.then_some(times))
}

/// A time value: timestamps in microseconds, integers as they are, floats
/// rounded.
fn time_at(col: &Column, row: usize) -> Option<i64> {
    if !col.is_valid(row) {
        return None;
    }
    match &col.values {
        ColumnValues::Timestamp(v) | ColumnValues::Integer(v) => v.get(row).copied(),
        ColumnValues::Float(v) => v
            .get(row)
            .filter(|x| x.is_finite())
            .map(|x| x.round() as i64),
        _ => None,
    }
}

/// Position of `id` in a vocabulary: binary search (vocabularies are built
/// sorted), then a scan in case one was assembled by hand out of order.
fn find_id(vocabulary: &[String], id: &str) -> Option<usize> {
    match vocabulary.binary_search_by(|s| s.as_str().cmp(id)) {
        Ok(at) => Some(at),
        Err(_) => vocabulary.iter().position(|s| s == id),
    }
}

impl Interactions {
    /// Reads the interactions of a dataset. Rows with a missing user or item
    /// are skipped, and so are rows with an unusable rating or count (see
    /// [`LoadSummary`]; a missing count counts as 1). No usable row gives
    /// [`RecError::Empty`] naming the columns.
    pub fn from_dataset(ds: &Dataset, cols: &ColumnChoice) -> Result<Self, RecError> {
        Self::from_dataset_with_summary(ds, cols).map(|(inter, _)| inter)
    }

    /// [`Self::from_dataset`], also saying how many rows were skipped.
    pub fn from_dataset_with_summary(
        ds: &Dataset,
        cols: &ColumnChoice,
    ) -> Result<(Self, LoadSummary), RecError> {
        let table = &ds.table;
        let column = |name: &str| {
            table.column(name).ok_or_else(|| RecError::MissingColumn {
                column: name.to_owned(),
            })
        };
        let user_col = column(&cols.user)?;
        let item_col = column(&cols.item)?;
        let rating_col = cols.rating.as_deref().map(column).transpose()?;
        let count_col = cols.count.as_deref().map(column).transpose()?;
        let time_col = cols.time.as_deref().map(column).transpose()?;

        let user_ids = local_ids(user_col);
        let item_ids = local_ids(item_col);
        let mut summary = LoadSummary {
            rows_read: table.n_rows(),
            ..LoadSummary::default()
        };
        let mut records: Vec<Record> = Vec::with_capacity(table.n_rows());
        for row in 0..table.n_rows() {
            let user = user_ids.per_row.get(row).copied().flatten();
            let item = item_ids.per_row.get(row).copied().flatten();
            let (Some(user), Some(item)) = (user, item) else {
                summary.rows_missing_id += 1;
                continue;
            };
            let value = if let Some(rating) = rating_col {
                rating.f64_at(row).filter(|x| x.is_finite())
            } else if let Some(count) = count_col {
                match count.f64_at(row) {
                    None if !count.is_valid(row) => Some(1.0),
                    value => value.filter(|x| x.is_finite() && *x > 0.0),
                }
            } else {
                Some(1.0)
            };
            let Some(value) = value else {
                summary.rows_bad_value += 1;
                continue;
            };
            let time = time_col.and_then(|c| time_at(c, row)).unwrap_or(i64::MIN);
            records.push((user, item, value as f32, time));
        }
        summary.rows_used = records.len();
        if records.is_empty() {
            let mut read = vec![format!("'{}'", cols.user), format!("'{}'", cols.item)];
            read.extend(rating_col.or(count_col).map(|c| format!("'{}'", c.name)));
            return Err(RecError::Empty(format!(
                "none of the {} rows of '{}' has a usable {} (columns {}). Check that these columns hold the residents, the services{} (their roles in the Data view), or load data with interactions.",
                table.n_rows(),
                ds.name,
                if rating_col.is_some() {
                    "user, item and rating"
                } else if count_col.is_some() {
                    "user, item and count"
                } else {
                    "user and item"
                },
                read.join(", "),
                if rating_col.is_some() || count_col.is_some() {
                    " and numbers"
                } else {
                    ""
                },
            )));
        }

        let mut user_used = vec![false; user_ids.vocabulary.len()];
        let mut item_used = vec![false; item_ids.vocabulary.len()];
        for &(u, i, _, _) in &records {
            if let Some(flag) = user_used.get_mut(u as usize) {
                *flag = true;
            }
            if let Some(flag) = item_used.get_mut(i as usize) {
                *flag = true;
            }
        }
        let (users, user_map) = compact_vocabulary(&user_ids.vocabulary, &user_used);
        let (items, item_map) = compact_vocabulary(&item_ids.vocabulary, &item_used);
        for record in &mut records {
            record.0 = user_map.get(record.0 as usize).copied().unwrap_or(u32::MAX);
            record.1 = item_map.get(record.1 as usize).copied().unwrap_or(u32::MAX);
        }
        let merge = if rating_col.is_some() {
            Merge::Rating {
                by_time: time_col.is_some(),
            }
        } else if count_col.is_some() {
            Merge::Sum
        } else {
            Merge::One
        };
        let (user_items, times) = merge_records(
            &mut records,
            users.len(),
            items.len(),
            merge,
            time_col.is_some(),
        );
        let inter = Self {
            users,
            items,
            user_items,
            explicit: rating_col.is_some(),
            times,
        };
        Ok((inter, summary))
    }

    /// Interactions from parallel lists of user ids, item ids and values
    /// (implicit: duplicates are summed, no times). Extra elements of the
    /// longer lists are ignored. For tests and benchmarks.
    pub fn from_triples(users: &[&str], items: &[&str], values: &[f32]) -> Self {
        fn intern<'a>(ids: &[&'a str]) -> (Vec<u32>, Vec<String>) {
            let mut index: HashMap<&'a str, u32> = HashMap::new();
            let mut vocabulary = Vec::new();
            let codes = ids
                .iter()
                .map(|&id| {
                    *index.entry(id).or_insert_with(|| {
                        vocabulary.push(id.to_owned());
                        (vocabulary.len() - 1) as u32
                    })
                })
                .collect();
            (codes, vocabulary)
        }
        let n = users.len().min(items.len()).min(values.len());
        let (user_codes, user_local) = intern(users.get(..n).unwrap_or_default());
        let (item_codes, item_local) = intern(items.get(..n).unwrap_or_default());
        let (users, user_map) = compact_vocabulary(&user_local, &vec![true; user_local.len()]);
        let (items, item_map) = compact_vocabulary(&item_local, &vec![true; item_local.len()]);
        let mut triples: Vec<(u32, u32, f32)> = user_codes
            .iter()
            .zip(&item_codes)
            .zip(values)
            .map(|((&u, &i), &v)| {
                (
                    user_map.get(u as usize).copied().unwrap_or(u32::MAX),
                    item_map.get(i as usize).copied().unwrap_or(u32::MAX),
                    v,
                )
            })
            .collect();
        let user_items = Csr::from_triples(users.len(), items.len(), &mut triples);
        Self {
            users,
            items,
            user_items,
            explicit: false,
            times: None,
        }
    }

    pub fn user_index(&self, id: &str) -> Option<usize> {
        find_id(&self.users, id)
    }

    pub fn item_index(&self, id: &str) -> Option<usize> {
        find_id(&self.items, id)
    }

    pub fn n_users(&self) -> usize {
        self.users.len()
    }

    pub fn n_items(&self) -> usize {
        self.items.len()
    }

    /// Distinct `(user, item)` pairs.
    pub fn n_interactions(&self) -> usize {
        self.user_items.nnz()
    }

    /// The mean stored value of every user's row (0 for an empty row).
    pub fn user_means(&self) -> Vec<f32> {
        (0..self.user_items.n_rows())
            .map(|u| {
                let values = self.user_items.row(u).1;
                if values.is_empty() {
                    0.0
                } else {
                    values.iter().sum::<f32>() / values.len() as f32
                }
            })
            .collect()
    }
}

/// Reports a sub-task's progress as a part `start..start + span` of a
/// larger task's.
pub(crate) struct ProgressRange<'a> {
    pub inner: &'a dyn Progress,
    pub start: f32,
    pub span: f32,
}

impl Progress for ProgressRange<'_> {
    fn report(&self, fraction: f32, message: &str) {
        self.inner
            .report(self.start + self.span * fraction.clamp(0.0, 1.0), message);
    }

    fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::data::{Source, Table};
    use jiff::tz::TimeZone;

    pub(crate) fn dataset(columns: Vec<Column>) -> Dataset {
        let table = Table::new(columns).unwrap();
        Dataset::from_table(
            "test",
            Source::Demo("test".to_owned()),
            table,
            TimeZone::UTC,
        )
    }

    pub(crate) fn service_use() -> Dataset {
        crate::data::demo_datasets()
            .into_iter()
            .find(|d| d.name == "service_use")
            .unwrap()
    }

    #[test]
    fn demo_service_use_columns_are_detected_from_roles() {
        let ds = service_use();
        let cols = ColumnChoice::detect(&ds).unwrap();
        assert_eq!(
            cols,
            ColumnChoice {
                user: "resident_id".to_owned(),
                item: "service".to_owned(),
                rating: Some("rating".to_owned()),
                count: Some("visits".to_owned()),
                time: Some("timestamp".to_owned()),
            }
        );
        let (inter, summary) = Interactions::from_dataset_with_summary(&ds, &cols).unwrap();
        assert!(inter.explicit);
        assert_eq!(summary.rows_used, ds.table.n_rows());
        assert!(inter.n_users() > 700 && inter.n_users() <= 800);
        assert!(inter.n_items() <= 40);
        assert!(inter.n_interactions() < ds.table.n_rows(), "pairs repeat");
        assert_eq!(inter.times.as_ref().unwrap().len(), inter.n_interactions());
        assert_eq!(inter.user_index(&inter.users[3]), Some(3));
    }

    #[test]
    fn one_column_dataset_says_which_role_is_missing() {
        let ds = dataset(vec![Column::categorical("resident_id", &["a", "b"])]);
        let err = ColumnChoice::detect(&ds).unwrap_err();
        assert!(matches!(err, RecError::NoItemColumn), "{err}");
        assert!(err.to_string().contains("Data view"));

        let ds = dataset(vec![Column::from_f64("reading", vec![1.0, 2.0])]);
        let err = ColumnChoice::detect(&ds).unwrap_err();
        assert!(matches!(err, RecError::NoUserColumn), "{err}");
        assert!(err.to_string().contains("'user'"));
    }

    #[test]
    fn empty_dataset_is_an_error_naming_the_columns() {
        let ds = dataset(vec![
            Column::categorical::<&str>("resident_id", &[]),
            Column::categorical::<&str>("service", &[]),
        ]);
        let cols = ColumnChoice::detect(&ds).unwrap();
        let err = Interactions::from_dataset(&ds, &cols).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, RecError::Empty(_)), "{text}");
        assert!(
            text.contains("'resident_id'") && text.contains("'service'"),
            "{text}"
        );
    }

    #[test]
    fn missing_column_is_named() {
        let ds = dataset(vec![
            Column::categorical("resident_id", &["a"]),
            Column::categorical("service", &["x"]),
        ]);
        let cols = ColumnChoice {
            user: "resident_id".to_owned(),
            item: "service".to_owned(),
            rating: Some("stars".to_owned()),
            count: None,
            time: None,
        };
        let err = Interactions::from_dataset(&ds, &cols).unwrap_err();
        assert!(
            matches!(&err, RecError::MissingColumn { column } if column == "stars"),
            "{err}"
        );
    }

    #[test]
    fn rows_missing_ids_are_skipped_and_numbers_become_ids() {
        let mut user = Column::from_i64("user_id", vec![7, 7, 12, 12]);
        user.validity = {
            let mut v = crate::data::Validity::with_capacity(4);
            for valid in [true, true, false, true] {
                v.push(valid);
            }
            v
        };
        let ds = dataset(vec![
            user,
            Column::text("service", &["pool", "pool", "library", "library"]),
            Column::from_i64("visits", vec![2, 3, 1, 4]),
        ]);
        let cols = ColumnChoice::detect(&ds).unwrap();
        assert_eq!(cols.count.as_deref(), Some("visits"));
        let (inter, summary) = Interactions::from_dataset_with_summary(&ds, &cols).unwrap();
        assert_eq!(summary.rows_missing_id, 1);
        assert!(summary.warning(&cols).unwrap().contains("'user_id'"));
        assert_eq!(inter.users, vec!["12", "7"]);
        assert_eq!(inter.items, vec!["library", "pool"]);
        assert!(!inter.explicit);
        // User 7 used the pool twice: counts 2 + 3 are summed.
        assert_eq!(inter.user_items.get(1, 1), Some(5.0));
        assert_eq!(inter.user_items.get(0, 0), Some(4.0));
        assert_eq!(inter.n_interactions(), 2);
    }

    #[test]
    fn repeated_ratings_keep_the_latest_by_time_or_the_mean() {
        let columns = |with_time: bool| {
            let mut c = vec![
                Column::categorical("resident", &["a", "a", "a"]),
                Column::categorical("service", &["pool", "pool", "pool"]),
                Column::from_i64("rating", vec![5, 1, 3]),
            ];
            if with_time {
                c.push(Column::from_timestamps("when", vec![30, 10, 20]));
            }
            c
        };
        let ds = dataset(columns(true));
        let cols = ColumnChoice::detect(&ds).unwrap();
        assert_eq!(cols.time.as_deref(), Some("when"));
        let inter = Interactions::from_dataset(&ds, &cols).unwrap();
        assert!(inter.explicit);
        assert_eq!(inter.user_items.values, vec![5.0]);
        assert_eq!(inter.times, Some(vec![30]));

        let ds = dataset(columns(false));
        let cols = ColumnChoice::detect(&ds).unwrap();
        let inter = Interactions::from_dataset(&ds, &cols).unwrap();
        assert_eq!(inter.user_items.values, vec![3.0]);
        assert_eq!(inter.times, None);
    }

    #[test]
    fn from_triples_sorts_vocabularies_and_sums_duplicates() {
        let inter =
            Interactions::from_triples(&["b", "a", "b"], &["y", "x", "y"], &[1.0, 2.0, 3.0]);
        assert_eq!(inter.users, vec!["a", "b"]);
        assert_eq!(inter.items, vec!["x", "y"]);
        assert_eq!(inter.user_items.get(1, 1), Some(4.0));
        assert_eq!(inter.user_index("b"), Some(1));
        assert_eq!(inter.item_index("z"), None);
    }
}
