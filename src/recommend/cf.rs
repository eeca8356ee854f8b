//! The recommenders: item–item cosine CF, user–user cosine CF and the
//! popularity baseline, with explanations, and the parallel driver they
//! share.
//!
//! Item CF precomputes the top-k neighbours of every item
//! ([`item_neighbours`]); a user's score for item `j` is then
//! `Σ_{i in user's items} r_ui · sim(i, j)`. User CF finds the user's most
//! similar users on the fly and scores `Σ_v sim(u, v) · r_vj`. Both explain
//! a recommendation by the (up to three) items or users that contributed
//! most. Recommendations never contain an item the user already has, and
//! equal scores are ordered by item index (the sorted item ids).
//!
//! Hot loops accumulate into a dense `f32` vector per thread, remembering
//! which entries they touched so that resetting costs only what was used,
//! and pick the top-k with a partial selection (`select_nth_unstable_by`).
//! Work is spread over all cores with `std::thread::scope`: threads take
//! small chunks from a shared counter, because with power-law data a few
//! popular items cost far more than the rest.
//!
//! Uses `data` (for [`Progress`]) and the rest of `recommend`; no egui, no
//! candle.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;
use std::sync::atomic::{self, AtomicBool, AtomicUsize};

use crate::data::Progress;

use super::sparse::Csr;
use super::{Interactions, RecError};

/// How many contributors an explanation names.
const EXPLAIN_TOP: usize = 3;

/// Which recommender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    ItemCf,
    UserCf,
    Popularity,
}

impl Method {
    pub const ALL: [Self; 3] = [Self::ItemCf, Self::UserCf, Self::Popularity];

    /// The key used in JSON and reports: `item_cf`, `user_cf`, `popularity`.
    pub fn key(self) -> &'static str {
        match self {
            Self::ItemCf => "item_cf",
            Self::UserCf => "user_cf",
            Self::Popularity => "popularity",
        }
    }

    /// A short name for people (sentence case).
    pub fn label(self) -> &'static str {
        match self {
            Self::ItemCf => "Similar services (item-based)",
            Self::UserCf => "Similar residents (user-based)",
            Self::Popularity => "Most popular",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// A method name that is none of `item`, `user`, `popular` (or the keys).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown recommender method '{0}': use item, user or popular")]
pub struct ParseMethodError(pub String);

impl std::str::FromStr for Method {
    type Err = ParseMethodError;

    /// `item`, `user`, `popular`; the keys `item_cf`, `user_cf`,
    /// `popularity` are accepted too, in any case, with `-` for `_`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().replace('-', "_").as_str() {
            "item" | "item_cf" => Ok(Self::ItemCf),
            "user" | "user_cf" => Ok(Self::UserCf),
            "popular" | "popularity" => Ok(Self::Popularity),
            _ => Err(ParseMethodError(s.to_owned())),
        }
    }
}

/// Settings of the CF recommenders.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CfParams {
    /// How many neighbours to keep: similar items per item (item CF) or
    /// similar users per user (user CF).
    pub neighbours: usize,
    /// Added to the denominator of the cosine, so that pairs with little
    /// support (small norms) score lower.
    pub shrinkage: f32,
    /// Adjusted cosine: subtract each user's mean rating before computing
    /// similarities. Only applies to explicit ratings (centring presence
    /// data would make every value zero); scores still use the raw values.
    pub mean_centre: bool,
}

impl Default for CfParams {
    fn default() -> Self {
        Self {
            neighbours: 50,
            shrinkage: 10.0,
            mean_centre: false,
        }
    }
}

/// Most neighbours kept per item or user.
pub const MAX_NEIGHBOURS: usize = 100_000;
/// Largest shrinkage accepted (far beyond any support count).
pub const MAX_SHRINKAGE: f32 = 1_000_000.0;

impl CfParams {
    /// Checks the settings: the one rule for the command line, the
    /// dashboard and a saved recommender's card. The error names the field,
    /// its value and the values that work.
    pub fn validate(&self) -> Result<(), RecError> {
        if !(1..=MAX_NEIGHBOURS).contains(&self.neighbours) {
            return Err(RecError::InvalidParams {
                field: "neighbours",
                value: self.neighbours.to_string(),
                allowed: format!("from 1 to {MAX_NEIGHBOURS} neighbours (50 is usual)"),
            });
        }
        if !(self.shrinkage.is_finite() && (0.0..=MAX_SHRINKAGE).contains(&self.shrinkage)) {
            return Err(RecError::InvalidParams {
                field: "shrinkage",
                value: self.shrinkage.to_string(),
                allowed: format!("a number from 0 (none) to {MAX_SHRINKAGE} (10 is usual)"),
            });
        }
        Ok(())
    }
}

/// The top-k most similar items of every item, best first.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemNeighbours {
    /// Row width: `params.neighbours`, capped at `n_items - 1`.
    pub k: usize,
    /// `n_items × k`, row-major; padded with `u32::MAX`.
    pub indices: Vec<u32>,
    /// Same layout; 0 for padding.
    pub scores: Vec<f32>,
}

impl ItemNeighbours {
    pub fn n_items(&self) -> usize {
        self.indices.len().checked_div(self.k).unwrap_or(0)
    }

    /// The neighbours of `item` and their similarities, without padding;
    /// empty for an unknown item.
    pub fn of(&self, item: usize) -> (&[u32], &[f32]) {
        let start = item.saturating_mul(self.k);
        let end = start.saturating_add(self.k);
        let (Some(indices), Some(scores)) =
            (self.indices.get(start..end), self.scores.get(start..end))
        else {
            return (&[], &[]);
        };
        let used = indices
            .iter()
            .position(|&j| j == u32::MAX)
            .unwrap_or(indices.len());
        (
            indices.get(..used).unwrap_or_default(),
            scores.get(..used).unwrap_or_default(),
        )
    }
}

/// One recommended item with its score and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Recommendation {
    pub item: String,
    pub score: f32,
    /// Up to three of the user's items (item CF) or similar users (user CF)
    /// that contributed most, with their contribution to `score`; empty for
    /// popularity.
    pub because: Vec<(String, f32)>,
}

/// A built recommender over shared interactions.
#[derive(Clone, Debug)]
pub struct Recommender {
    pub method: Method,
    pub params: CfParams,
    pub interactions: Arc<Interactions>,
    /// The item neighbours; built for item CF only.
    pub item_nn: Option<ItemNeighbours>,
    /// Per item: the number of users who have it.
    pub popularity: Vec<f32>,
}

// ---------------------------------------------------------------------------
// Shared pieces

/// A dense accumulator that remembers which entries it touched, so that
/// reading and resetting it costs O(touched), not O(length).
struct Accumulator {
    sums: Vec<f32>,
    is_touched: Vec<bool>,
    touched: Vec<u32>,
}

impl Accumulator {
    fn new(len: usize) -> Self {
        Self {
            sums: vec![0.0; len],
            is_touched: vec![false; len],
            touched: Vec::new(),
        }
    }

    #[inline]
    fn add(&mut self, index: u32, x: f32) {
        let at = index as usize;
        if let (Some(sum), Some(flag)) = (self.sums.get_mut(at), self.is_touched.get_mut(at)) {
            *sum += x;
            if !*flag {
                *flag = true;
                self.touched.push(index);
            }
        }
    }

    /// Calls `f(index, sum)` for every touched entry and resets them.
    fn drain(&mut self, mut f: impl FnMut(u32, f32)) {
        let Self {
            sums,
            is_touched,
            touched,
        } = self;
        for &index in touched.iter() {
            let at = index as usize;
            if let (Some(sum), Some(flag)) = (sums.get_mut(at), is_touched.get_mut(at)) {
                f(index, *sum);
                *sum = 0.0;
                *flag = false;
            }
        }
        touched.clear();
    }
}

/// Best first: higher score, then lower index.
fn best_first(a: &(u32, f32), b: &(u32, f32)) -> Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// Keeps the best `k` of `candidates`, sorted best first.
fn keep_top(candidates: &mut Vec<(u32, f32)>, k: usize) {
    if k == 0 {
        candidates.clear();
        return;
    }
    if candidates.len() > k {
        candidates.select_nth_unstable_by(k - 1, best_first);
        candidates.truncate(k);
    }
    candidates.sort_unstable_by(best_first);
}

/// Shrinkage as a usable number: negative or NaN counts as 0.
fn usable_shrinkage(shrinkage: f32) -> f32 {
    if shrinkage.is_finite() && shrinkage > 0.0 {
        shrinkage
    } else {
        0.0
    }
}

/// The values similarities are computed on: the interaction values,
/// centred on each user's mean when asked and the data is explicit.
fn similarity_values<'a>(inter: &'a Interactions, params: &CfParams) -> Cow<'a, Csr> {
    if params.mean_centre && inter.explicit {
        let means = inter.user_means();
        Cow::Owned(
            inter
                .user_items
                .map_values(|u, v| v - means.get(u).copied().unwrap_or(0.0)),
        )
    } else {
        Cow::Borrowed(&inter.user_items)
    }
}

/// Runs `work(scratch, task)` for every task in `0..n_tasks` on all cores
/// and returns the results in task order. Each thread makes one scratch
/// with `make_scratch`. Progress is reported after every chunk; a cancel
/// stops all threads at their next chunk and gives [`RecError::Cancelled`].
pub(crate) fn parallel_map<S, T, MakeScratch, Work>(
    n_tasks: usize,
    progress: &dyn Progress,
    message: &str,
    make_scratch: MakeScratch,
    work: Work,
) -> Result<Vec<T>, RecError>
where
    T: Send,
    MakeScratch: Fn() -> S + Sync,
    Work: Fn(&mut S, usize) -> T + Sync,
{
    if progress.is_cancelled() {
        return Err(RecError::Cancelled);
    }
    if n_tasks == 0 {
        return Ok(Vec::new());
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(n_tasks);
    // Small chunks balance uneven tasks; about 64 per thread.
    let chunk_len = (n_tasks / (threads * 64)).clamp(1, 256);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let cancelled = AtomicBool::new(false);
    let worker = || {
        let mut scratch = make_scratch();
        let mut parts: Vec<(usize, Vec<T>)> = Vec::new();
        loop {
            if cancelled.load(atomic::Ordering::Relaxed) {
                break;
            }
            if progress.is_cancelled() {
                cancelled.store(true, atomic::Ordering::Relaxed);
                break;
            }
            let start = next.fetch_add(chunk_len, atomic::Ordering::Relaxed);
            if start >= n_tasks {
                break;
            }
            let end = start.saturating_add(chunk_len).min(n_tasks);
            let part: Vec<T> = (start..end).map(|t| work(&mut scratch, t)).collect();
            parts.push((start, part));
            let finished = done.fetch_add(end - start, atomic::Ordering::Relaxed) + (end - start);
            progress.report(finished as f32 / n_tasks as f32, message);
        }
        parts
    };
    let mut parts = std::thread::scope(|scope| {
        // The calling thread works too, so the job finishes even if no
        // extra thread can be started.
        let handles: Vec<_> = (1..threads)
            .filter_map(|t| {
                std::thread::Builder::new()
                    .name(format!("recommend-{t}"))
                    .spawn_scoped(scope, worker)
                    .ok()
            })
            .collect();
        let mut parts = worker();
        for handle in handles {
            match handle.join() {
                Ok(more) => parts.extend(more),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        parts
    });
    if cancelled.load(atomic::Ordering::Relaxed) {
        return Err(RecError::Cancelled);
    }
    parts.sort_unstable_by_key(|(start, _)| *start);
    Ok(parts.into_iter().flat_map(|(_, part)| part).collect())
}

// ---------------------------------------------------------------------------
// Item neighbours

/// What one thread needs to find similar items.
struct ItemScratch {
    dots: Accumulator,
    candidates: Vec<(u32, f32)>,
}

/// The matrices item similarities read.
struct ItemSimilarityInput<'a> {
    /// Users × items (possibly mean-centred).
    by_user: Cow<'a, Csr>,
    /// Items × users: the transpose of `by_user`.
    by_item: Csr,
    /// Norm of every item's column.
    item_norms: Vec<f32>,
    shrinkage: f32,
}

impl<'a> ItemSimilarityInput<'a> {
    fn new(inter: &'a Interactions, params: &CfParams) -> Self {
        let by_user = similarity_values(inter, params);
        let by_item = by_user.transpose();
        let item_norms = by_item.row_norms();
        Self {
            by_user,
            by_item,
            item_norms,
            shrinkage: usable_shrinkage(params.shrinkage),
        }
    }

    /// The `k` items most similar to `item` (positive similarities only),
    /// best first.
    fn top_similar(&self, scratch: &mut ItemScratch, item: usize, k: usize) -> Vec<(u32, f32)> {
        let (users, item_values) = self.by_item.row(item);
        for (&user, &r_ui) in users.iter().zip(item_values) {
            if r_ui == 0.0 {
                continue;
            }
            let (others, other_values) = self.by_user.row(user as usize);
            for (&j, &r_uj) in others.iter().zip(other_values) {
                scratch.dots.add(j, r_ui * r_uj);
            }
        }
        let norm_i = self.item_norms.get(item).copied().unwrap_or(0.0);
        let candidates = &mut scratch.candidates;
        candidates.clear();
        scratch.dots.drain(|j, dot| {
            if j as usize == item {
                return;
            }
            let norm_j = self.item_norms.get(j as usize).copied().unwrap_or(0.0);
            let sim = dot / (norm_i * norm_j + self.shrinkage);
            if sim.is_finite() && sim > 0.0 {
                candidates.push((j, sim));
            }
        });
        keep_top(candidates, k);
        candidates.clone()
    }
}

/// Item–item cosine over users:
/// `sim(i, j) = Σ_u r_ui r_uj / (‖i‖‖j‖ + shrinkage)`, with `r` centred on
/// each user's mean when `params.mean_centre` (explicit ratings only).
/// Keeps the `params.neighbours` best positive similarities per item.
/// Runs over items on all cores, reporting progress and honouring cancel.
pub fn item_neighbours(
    inter: &Interactions,
    params: &CfParams,
    progress: &dyn Progress,
) -> Result<ItemNeighbours, RecError> {
    let n_items = inter.n_items();
    let k = params.neighbours.min(n_items.saturating_sub(1));
    if k == 0 {
        return Ok(ItemNeighbours {
            k,
            indices: Vec::new(),
            scores: Vec::new(),
        });
    }
    let input = ItemSimilarityInput::new(inter, params);
    let rows = parallel_map(
        n_items,
        progress,
        "Finding similar services",
        || ItemScratch {
            dots: Accumulator::new(n_items),
            candidates: Vec::new(),
        },
        |scratch, item| input.top_similar(scratch, item, k),
    )?;
    let mut indices = vec![u32::MAX; n_items * k];
    let mut scores = vec![0.0; n_items * k];
    for (item, row) in rows.iter().enumerate() {
        let start = item * k;
        let (Some(index_row), Some(score_row)) = (
            indices.get_mut(start..start + k),
            scores.get_mut(start..start + k),
        ) else {
            continue;
        };
        for ((slot_index, slot_score), &(j, sim)) in
            index_row.iter_mut().zip(score_row.iter_mut()).zip(row)
        {
            *slot_index = j;
            *slot_score = sim;
        }
    }
    Ok(ItemNeighbours { k, indices, scores })
}

// ---------------------------------------------------------------------------
// Recommending

/// A recommendation by index: the item, its score, and the indices (items
/// or users) that contributed most with their contributions.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Scored {
    pub item: u32,
    pub score: f32,
    pub because: Vec<(u32, f32)>,
}

/// What a method needs ready before it can recommend: computed once and
/// shared by every user (and thread).
enum Prepared<'a> {
    Item(Cow<'a, ItemNeighbours>),
    User {
        /// Users × items used for similarity (possibly mean-centred).
        by_user: Cow<'a, Csr>,
        /// Items × users: its transpose.
        by_item: Csr,
        user_norms: Vec<f32>,
        shrinkage: f32,
    },
    /// Items with at least one user, most popular first (ties by index).
    Popularity(Vec<u32>),
}

/// What one thread needs to recommend.
struct RecScratch {
    item_scores: Accumulator,
    /// For user CF: dot products with the other users.
    user_dots: Accumulator,
    /// Items the current user already has.
    seen: Vec<bool>,
    /// For explanations: the position of an item in the current top list.
    slot_of_item: Vec<u32>,
    candidates: Vec<(u32, f32)>,
    neighbours: Vec<(u32, f32)>,
}

impl Recommender {
    /// Builds a recommender: popularity for every method, item neighbours
    /// for item CF (user CF finds neighbours when asked). Empty interactions
    /// give [`RecError::Empty`].
    pub fn build(
        inter: Arc<Interactions>,
        method: Method,
        params: CfParams,
        progress: &dyn Progress,
    ) -> Result<Self, RecError> {
        params.validate()?;
        if inter.n_interactions() == 0 {
            return Err(RecError::Empty(format!(
                "the interactions have {} users, {} items and no user–item pairs. Load a dataset with interaction rows.",
                inter.n_users(),
                inter.n_items()
            )));
        }
        let popularity = inter
            .user_items
            .col_counts()
            .into_iter()
            .map(|n| n as f32)
            .collect();
        let item_nn = match method {
            Method::ItemCf => Some(item_neighbours(&inter, &params, progress)?),
            Method::UserCf | Method::Popularity => None,
        };
        progress.report(1.0, "Recommender ready");
        Ok(Self {
            method,
            params,
            interactions: inter,
            item_nn,
            popularity,
        })
    }

    fn prepare(&self) -> Prepared<'_> {
        let inter = self.interactions.as_ref();
        match self.method {
            Method::ItemCf => match &self.item_nn {
                Some(nn) => Prepared::Item(Cow::Borrowed(nn)),
                None => {
                    // Built by hand without neighbours: compute them now.
                    let nn = item_neighbours(inter, &self.params, &()).unwrap_or(ItemNeighbours {
                        k: 0,
                        indices: Vec::new(),
                        scores: Vec::new(),
                    });
                    Prepared::Item(Cow::Owned(nn))
                }
            },
            Method::UserCf => {
                let by_user = similarity_values(inter, &self.params);
                let by_item = by_user.transpose();
                let user_norms = by_user.row_norms();
                Prepared::User {
                    by_user,
                    by_item,
                    user_norms,
                    shrinkage: usable_shrinkage(self.params.shrinkage),
                }
            }
            Method::Popularity => Prepared::Popularity(self.popularity_order()),
        }
    }

    /// Items with at least one user, most popular first, ties by index.
    fn popularity_order(&self) -> Vec<u32> {
        let mut order: Vec<(u32, f32)> = self
            .popularity
            .iter()
            .enumerate()
            .filter(|&(_, &p)| p > 0.0)
            .map(|(j, &p)| (j as u32, p))
            .collect();
        order.sort_unstable_by(best_first);
        order.into_iter().map(|(j, _)| j).collect()
    }

    fn scratch(&self) -> RecScratch {
        let n_items = self.interactions.n_items();
        let n_users = match self.method {
            Method::UserCf => self.interactions.n_users(),
            Method::ItemCf | Method::Popularity => 0,
        };
        RecScratch {
            item_scores: Accumulator::new(n_items),
            user_dots: Accumulator::new(n_users),
            seen: vec![false; n_items],
            slot_of_item: vec![u32::MAX; n_items],
            candidates: Vec::new(),
            neighbours: Vec::new(),
        }
    }

    /// The top `n` items for `user` by index, with explanations when
    /// `explain`.
    fn recommend_scored(
        &self,
        prepared: &Prepared<'_>,
        scratch: &mut RecScratch,
        user: usize,
        n: usize,
        explain: bool,
    ) -> Vec<Scored> {
        let inter = self.interactions.as_ref();
        if user >= inter.n_users() || n == 0 {
            return Vec::new();
        }
        let (own_items, own_values) = inter.user_items.row(user);
        for &j in own_items {
            if let Some(flag) = scratch.seen.get_mut(j as usize) {
                *flag = true;
            }
        }
        let out = match prepared {
            Prepared::Item(nn) => {
                self.score_by_items(nn, scratch, own_items, own_values, n, explain)
            }
            Prepared::User {
                by_user,
                by_item,
                user_norms,
                shrinkage,
            } => {
                find_similar_users(
                    scratch,
                    by_user,
                    by_item,
                    user_norms,
                    *shrinkage,
                    user,
                    self.params.neighbours,
                );
                self.score_by_users(scratch, n, explain)
            }
            Prepared::Popularity(order) => order
                .iter()
                .filter(|&&j| !scratch.seen.get(j as usize).copied().unwrap_or(false))
                .take(n)
                .map(|&j| Scored {
                    item: j,
                    score: self.popularity.get(j as usize).copied().unwrap_or(0.0),
                    because: Vec::new(),
                })
                .collect(),
        };
        for &j in own_items {
            if let Some(flag) = scratch.seen.get_mut(j as usize) {
                *flag = false;
            }
        }
        out
    }

    /// Item CF: `score_j = Σ_i r_ui · sim(i, j)` over the user's items `i`
    /// that have `j` among their neighbours.
    fn score_by_items(
        &self,
        nn: &ItemNeighbours,
        scratch: &mut RecScratch,
        own_items: &[u32],
        own_values: &[f32],
        n: usize,
        explain: bool,
    ) -> Vec<Scored> {
        for (&i, &r_ui) in own_items.iter().zip(own_values) {
            let (js, sims) = nn.of(i as usize);
            for (&j, &sim) in js.iter().zip(sims) {
                if !scratch.seen.get(j as usize).copied().unwrap_or(true) {
                    scratch.item_scores.add(j, r_ui * sim);
                }
            }
        }
        let mut top = take_top_scores(scratch, n);
        if explain && !top.is_empty() {
            mark_slots(scratch, &top);
            for (&i, &r_ui) in own_items.iter().zip(own_values) {
                let (js, sims) = nn.of(i as usize);
                for (&j, &sim) in js.iter().zip(sims) {
                    let slot = scratch.slot_of_item.get(j as usize).copied();
                    if let Some(entry) = slot.and_then(|s| top.get_mut(s as usize)) {
                        entry.because.push((i, r_ui * sim));
                    }
                }
            }
            finish_explanations(scratch, &mut top);
        }
        top
    }

    /// User CF: `score_j = Σ_v sim(u, v) · r_vj` over the neighbours found
    /// by [`find_similar_users`] (in `scratch.neighbours`).
    fn score_by_users(&self, scratch: &mut RecScratch, n: usize, explain: bool) -> Vec<Scored> {
        let matrix = &self.interactions.user_items;
        let neighbours = std::mem::take(&mut scratch.neighbours);
        for &(v, sim) in &neighbours {
            let (js, values) = matrix.row(v as usize);
            for (&j, &r_vj) in js.iter().zip(values) {
                if !scratch.seen.get(j as usize).copied().unwrap_or(true) {
                    scratch.item_scores.add(j, sim * r_vj);
                }
            }
        }
        let mut top = take_top_scores(scratch, n);
        if explain && !top.is_empty() {
            mark_slots(scratch, &top);
            for &(v, sim) in &neighbours {
                let (js, values) = matrix.row(v as usize);
                for (&j, &r_vj) in js.iter().zip(values) {
                    let slot = scratch.slot_of_item.get(j as usize).copied();
                    if let Some(entry) = slot.and_then(|s| top.get_mut(s as usize)) {
                        entry.because.push((v, sim * r_vj));
                    }
                }
            }
            finish_explanations(scratch, &mut top);
        }
        scratch.neighbours = neighbours;
        top
    }

    fn to_recommendations(&self, scored: Vec<Scored>) -> Vec<Recommendation> {
        let inter = self.interactions.as_ref();
        let because_names: &[String] = match self.method {
            Method::UserCf => &inter.users,
            Method::ItemCf | Method::Popularity => &inter.items,
        };
        let name = |names: &[String], index: u32| {
            names
                .get(index as usize)
                .cloned()
                .unwrap_or_else(|| format!("#{index}"))
        };
        scored
            .into_iter()
            .map(|s| Recommendation {
                item: name(&inter.items, s.item),
                score: s.score,
                because: s
                    .because
                    .into_iter()
                    .map(|(who, weight)| (name(because_names, who), weight))
                    .collect(),
            })
            .collect()
    }

    /// The top `n` items for user index `user`, best first, never one the
    /// user already has; equal scores in item order. Empty for an unknown
    /// index. Item CF: `score_j = Σ_{i in user's items} r_ui · sim(i, j)`;
    /// user CF: the user's `neighbours` most similar users `v` (cosine over
    /// items, with shrinkage), `score_j = Σ_v sim(u, v) · r_vj`; popularity:
    /// the items most users have.
    pub fn recommend(&self, user: usize, n: usize) -> Vec<Recommendation> {
        let prepared = self.prepare();
        let mut scratch = self.scratch();
        let scored = self.recommend_scored(&prepared, &mut scratch, user, n, true);
        self.to_recommendations(scored)
    }

    /// [`Self::recommend`] by user id. An unknown id is
    /// [`RecError::UnknownUser`], or, with `popular_fallback`, the most
    /// popular items.
    pub fn recommend_for_id(
        &self,
        user_id: &str,
        n: usize,
        popular_fallback: bool,
    ) -> Result<Vec<Recommendation>, RecError> {
        match self.interactions.user_index(user_id) {
            Some(user) => Ok(self.recommend(user, n)),
            None if popular_fallback => Ok(self.popular(n)),
            None => Err(RecError::UnknownUser {
                user: user_id.to_owned(),
            }),
        }
    }

    /// The `n` items most users have, for someone with no history.
    pub fn popular(&self, n: usize) -> Vec<Recommendation> {
        let scored = self
            .popularity_order()
            .into_iter()
            .take(n)
            .map(|j| Scored {
                item: j,
                score: self.popularity.get(j as usize).copied().unwrap_or(0.0),
                because: Vec::new(),
            })
            .collect();
        self.to_recommendations(scored)
    }

    /// The `n` items most similar to item index `item` by item CF, best
    /// first. Uses the stored neighbours when there are (so at most `k`);
    /// otherwise computes them for this item now, whatever the method.
    pub fn similar_items(&self, item: usize, n: usize) -> Vec<(String, f32)> {
        let inter = self.interactions.as_ref();
        let name = |j: u32| inter.items.get(j as usize).cloned().unwrap_or_default();
        if let Some(nn) = &self.item_nn {
            let (js, sims) = nn.of(item);
            return js
                .iter()
                .zip(sims)
                .take(n)
                .map(|(&j, &s)| (name(j), s))
                .collect();
        }
        if item >= inter.n_items() {
            return Vec::new();
        }
        let input = ItemSimilarityInput::new(inter, &self.params);
        let mut scratch = ItemScratch {
            dots: Accumulator::new(inter.n_items()),
            candidates: Vec::new(),
        };
        input
            .top_similar(&mut scratch, item, n)
            .into_iter()
            .map(|(j, s)| (name(j), s))
            .collect()
    }

    /// [`Self::similar_items`] by item id; an unknown id is
    /// [`RecError::UnknownItem`].
    pub fn similar_items_for_id(
        &self,
        item_id: &str,
        n: usize,
    ) -> Result<Vec<(String, f32)>, RecError> {
        let item = self
            .interactions
            .item_index(item_id)
            .ok_or_else(|| RecError::UnknownItem {
                item: item_id.to_owned(),
            })?;
        Ok(self.similar_items(item, n))
    }

    /// [`Self::recommend`] for every user (in user index order), on all
    /// cores, reporting progress and honouring cancel.
    pub fn recommend_all(
        &self,
        n: usize,
        progress: &dyn Progress,
    ) -> Result<Vec<Vec<Recommendation>>, RecError> {
        let prepared = self.prepare();
        parallel_map(
            self.interactions.n_users(),
            progress,
            "Recommending for every resident",
            || self.scratch(),
            |scratch, user| {
                let scored = self.recommend_scored(&prepared, scratch, user, n, true);
                self.to_recommendations(scored)
            },
        )
    }

    /// The top `n` item indices for every user, without explanations: what
    /// evaluation needs, with no strings built.
    pub fn recommend_all_items(
        &self,
        n: usize,
        progress: &dyn Progress,
    ) -> Result<Vec<Vec<u32>>, RecError> {
        let prepared = self.prepare();
        parallel_map(
            self.interactions.n_users(),
            progress,
            "Recommending for every resident",
            || self.scratch(),
            |scratch, user| {
                self.recommend_scored(&prepared, scratch, user, n, false)
                    .into_iter()
                    .map(|s| s.item)
                    .collect()
            },
        )
    }
}

/// Fills `scratch.neighbours` with the `k` users most similar to `user`
/// (cosine over items with shrinkage, positive only), best first.
fn find_similar_users(
    scratch: &mut RecScratch,
    by_user: &Csr,
    by_item: &Csr,
    user_norms: &[f32],
    shrinkage: f32,
    user: usize,
    k: usize,
) {
    let (items, values) = by_user.row(user);
    for (&i, &r_ui) in items.iter().zip(values) {
        if r_ui == 0.0 {
            continue;
        }
        let (others, other_values) = by_item.row(i as usize);
        for (&v, &r_vi) in others.iter().zip(other_values) {
            scratch.user_dots.add(v, r_ui * r_vi);
        }
    }
    let norm_u = user_norms.get(user).copied().unwrap_or(0.0);
    let neighbours = &mut scratch.neighbours;
    neighbours.clear();
    scratch.user_dots.drain(|v, dot| {
        if v as usize == user {
            return;
        }
        let norm_v = user_norms.get(v as usize).copied().unwrap_or(0.0);
        let sim = dot / (norm_u * norm_v + shrinkage);
        if sim.is_finite() && sim > 0.0 {
            neighbours.push((v, sim));
        }
    });
    keep_top(neighbours, k);
}

/// Reads and resets the item scores; keeps the best `n` positive ones.
fn take_top_scores(scratch: &mut RecScratch, n: usize) -> Vec<Scored> {
    let candidates = &mut scratch.candidates;
    candidates.clear();
    scratch.item_scores.drain(|j, score| {
        if score.is_finite() && score > 0.0 {
            candidates.push((j, score));
        }
    });
    keep_top(candidates, n);
    candidates
        .iter()
        .map(|&(item, score)| Scored {
            item,
            score,
            because: Vec::new(),
        })
        .collect()
}

/// Remembers where each top item sits, for collecting explanations.
fn mark_slots(scratch: &mut RecScratch, top: &[Scored]) {
    for (slot, s) in top.iter().enumerate() {
        if let Some(entry) = scratch.slot_of_item.get_mut(s.item as usize) {
            *entry = slot as u32;
        }
    }
}

/// Keeps the biggest contributors of every explanation and clears the
/// slots.
fn finish_explanations(scratch: &mut RecScratch, top: &mut [Scored]) {
    for s in top.iter_mut() {
        keep_top(&mut s.because, EXPLAIN_TOP);
        if let Some(entry) = scratch.slot_of_item.get_mut(s.item as usize) {
            *entry = u32::MAX;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Users a–d, items i1–i4:
    ///
    /// ```text
    ///      i1 i2 i3 i4
    ///   a   2  1  .  .
    ///   b   1  2  2  .
    ///   c   .  .  1  2
    ///   d   .  1  .  1
    /// ```
    fn four_by_four() -> Interactions {
        Interactions::from_triples(
            &["a", "a", "b", "b", "b", "c", "c", "d", "d"],
            &["i1", "i2", "i1", "i2", "i3", "i3", "i4", "i2", "i4"],
            &[2.0, 1.0, 1.0, 2.0, 2.0, 1.0, 2.0, 1.0, 1.0],
        )
    }

    fn params(neighbours: usize, shrinkage: f32) -> CfParams {
        CfParams {
            neighbours,
            shrinkage,
            mean_centre: false,
        }
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-5
    }

    fn assert_row(nn: &ItemNeighbours, item: usize, expected: &[(u32, f32)]) {
        let (js, sims) = nn.of(item);
        assert_eq!(js.len(), expected.len(), "item {item}: {js:?} {sims:?}");
        for ((&j, &s), &(ej, es)) in js.iter().zip(sims).zip(expected) {
            assert_eq!(j, ej, "item {item}: {js:?}");
            assert!(close(s, es), "item {item} → {j}: {s} vs {es}");
        }
    }

    #[test]
    fn settings_out_of_range_are_refused_before_building_naming_the_field() {
        let inter = Arc::new(four_by_four());
        for (p, field, value) in [
            (params(0, 10.0), "neighbours", "0"),
            (params(50, -1.0), "shrinkage", "-1"),
            (params(50, f32::NAN), "shrinkage", "NaN"),
        ] {
            let err = Recommender::build(Arc::clone(&inter), Method::ItemCf, p, &())
                .err()
                .unwrap();
            assert!(
                matches!(&err, RecError::InvalidParams { field: f, value: v, .. } if *f == field && v == value),
                "{err:?}"
            );
            assert!(
                err.to_string()
                    .contains(&format!("{field} is {value}; choose"))
            );
        }
        assert!(CfParams::default().validate().is_ok());
    }

    #[test]
    fn item_neighbours_match_hand_computed_cosines_without_shrinkage() {
        // Item columns over users (a, b, c, d):
        //   i1 = (2, 1, 0, 0), ‖i1‖² = 5
        //   i2 = (1, 2, 0, 1), ‖i2‖² = 6
        //   i3 = (0, 2, 1, 0), ‖i3‖² = 5
        //   i4 = (0, 0, 2, 1), ‖i4‖² = 5
        // Dot products and cosines:
        //   i1·i2 = 2·1 + 1·2 = 4  → 4 / √30 = 0.730297
        //   i1·i3 = 1·2       = 2  → 2 / 5   = 0.4
        //   i1·i4 = 0               (not kept)
        //   i2·i3 = 2·2       = 4  → 4 / √30 = 0.730297
        //   i2·i4 = 1·1       = 1  → 1 / √30 = 0.182574
        //   i3·i4 = 1·2       = 2  → 2 / 5   = 0.4
        // Ties are ordered by item index.
        let inter = four_by_four();
        let nn = item_neighbours(&inter, &params(50, 0.0), &()).unwrap();
        assert_eq!(nn.k, 3, "capped at n_items - 1");
        assert_eq!(nn.indices.len(), 12);
        let c = 4.0 / 30f32.sqrt();
        assert_row(&nn, 0, &[(1, c), (2, 0.4)]);
        assert_row(&nn, 1, &[(0, c), (2, c), (3, 1.0 / 30f32.sqrt())]);
        assert_row(&nn, 2, &[(1, c), (0, 0.4), (3, 0.4)]);
        assert_row(&nn, 3, &[(2, 0.4), (1, 1.0 / 30f32.sqrt())]);
        // Padding: the third slot of i1 (row 0) and of i4 (row 3).
        for slot in [2, 3 * 3 + 2] {
            assert_eq!(nn.indices[slot], u32::MAX);
            assert_eq!(nn.scores[slot], 0.0);
        }
    }

    #[test]
    fn item_neighbours_match_hand_computed_cosines_with_shrinkage() {
        // Same dot products, denominators ‖i‖‖j‖ + 10:
        //   i1,i2: 4 / (√30 + 10) = 4 / 15.477226 = 0.258444
        //   i1,i3: 2 / (5 + 10)   = 0.133333
        //   i2,i3: 4 / (√30 + 10) = 0.258444
        //   i2,i4: 1 / (√30 + 10) = 0.064611
        //   i3,i4: 2 / (5 + 10)   = 0.133333
        // and only the best one per item with neighbours = 1.
        let inter = four_by_four();
        let nn = item_neighbours(&inter, &params(1, 10.0), &()).unwrap();
        assert_eq!(nn.k, 1);
        let c = 4.0 / (30f32.sqrt() + 10.0);
        assert_row(&nn, 0, &[(1, c)]);
        assert_row(&nn, 1, &[(0, c)]);
        assert_row(&nn, 2, &[(1, c)]);
        assert_row(&nn, 3, &[(2, 2.0 / 15.0)]);
        let all = item_neighbours(&inter, &params(50, 10.0), &()).unwrap();
        assert_row(&all, 1, &[(0, c), (2, c), (3, 1.0 / (30f32.sqrt() + 10.0))]);
    }

    #[test]
    fn mean_centred_similarity_keeps_only_positive_adjusted_cosines() {
        // User means: a 1.5, b 5/3, c 1.5, d 1. Centred ratings:
        //   a: i1 +0.5, i2 -0.5
        //   b: i1 -2/3, i2 +1/3, i3 +1/3
        //   c: i3 -0.5, i4 +0.5
        //   d: i2 0,    i4 0
        // Centred columns: i2 = (-0.5, 1/3, 0, 0), i3 = (0, 1/3, -0.5, 0),
        //   ‖i2‖² = ‖i3‖² = 1/4 + 1/9 = 13/36.
        //   i2·i3 = 1/9 → sim = (1/9) / (13/36) = 4/13 = 0.307692.
        //   i1·i2 = -1/4 - 2/9 < 0, i1·i3 = -2/9 < 0, i3·i4 = -1/4 < 0,
        //   i2·i4 = 0: none kept.
        let mut inter = four_by_four();
        inter.explicit = true;
        let p = CfParams {
            neighbours: 50,
            shrinkage: 0.0,
            mean_centre: true,
        };
        let nn = item_neighbours(&inter, &p, &()).unwrap();
        assert_row(&nn, 0, &[]);
        assert_row(&nn, 1, &[(2, 4.0 / 13.0)]);
        assert_row(&nn, 2, &[(1, 4.0 / 13.0)]);
        assert_row(&nn, 3, &[]);
    }

    #[test]
    fn item_cf_scores_and_explains_by_the_users_items() {
        // User a has i1 (2) and i2 (1). With the cosines above:
        //   score(i3) = 2·sim(i1,i3) + 1·sim(i2,i3) = 0.8 + 0.730297 = 1.530297
        //   score(i4) = 2·0          + 1·sim(i2,i4) = 0.182574
        let inter = Arc::new(four_by_four());
        let rec = Recommender::build(inter, Method::ItemCf, params(50, 0.0), &()).unwrap();
        let recs = rec.recommend(0, 10);
        let c = 4.0 / 30f32.sqrt();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].item, "i3");
        assert!(close(recs[0].score, 0.8 + c));
        assert_eq!(recs[0].because.len(), 2);
        assert_eq!(recs[0].because[0].0, "i1");
        assert!(close(recs[0].because[0].1, 0.8));
        assert_eq!(recs[0].because[1].0, "i2");
        assert!(close(recs[0].because[1].1, c));
        assert_eq!(recs[1].item, "i4");
        assert!(close(recs[1].score, 1.0 / 30f32.sqrt()));
        assert_eq!(recs[1].because, vec![("i2".to_owned(), recs[1].score)]);
    }

    #[test]
    fn already_seen_items_never_appear() {
        let inter = Arc::new(four_by_four());
        for method in Method::ALL {
            let rec = Recommender::build(inter.clone(), method, params(50, 0.0), &()).unwrap();
            let all = rec.recommend_all(10, &()).unwrap();
            assert_eq!(all.len(), 4);
            for (user, recs) in all.iter().enumerate() {
                let (own, _) = inter.user_items.row(user);
                for r in recs {
                    let j = inter.item_index(&r.item).unwrap() as u32;
                    assert!(!own.contains(&j), "{method}: user {user} got {}", r.item);
                }
                assert_eq!(recs, &rec.recommend(user, 10), "{method}: user {user}");
            }
        }
    }

    #[test]
    fn item_cf_uses_only_the_kept_neighbours() {
        // With one neighbour per item: i3 → i2, i4 → i3 (see the shrinkage
        // test; without shrinkage i3's best is i2 at 0.730297 and i4's is
        // i3 at 0.4). User c has i3 (1) and i4 (2): only i2 is reachable,
        // score 1 · 0.730297; i4 → i3 is already seen.
        let inter = Arc::new(four_by_four());
        let rec = Recommender::build(inter, Method::ItemCf, params(1, 0.0), &()).unwrap();
        let recs = rec.recommend(2, 10);
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].item, "i2");
        assert!(close(recs[0].score, 4.0 / 30f32.sqrt()));
        // User a's items point only at each other.
        assert!(rec.recommend(0, 10).is_empty());
    }

    #[test]
    fn user_cf_matches_a_hand_computed_case() {
        // Users as item vectors: a = (2,1,0,0), b = (1,2,2,0), c = (0,0,1,2),
        // d = (0,1,0,1); ‖a‖ = √5, ‖b‖ = 3, ‖d‖ = √2.
        //   a·b = 2 + 2 = 4 → 4 / (3√5) = 0.596285
        //   a·c = 0
        //   a·d = 1     → 1 / √10  = 0.316228
        // a's neighbours: b, then d. a has i1, i2, so
        //   score(i3) = sim(a,b)·r_b,i3 = 0.596285 · 2 = 1.192570
        //   score(i4) = sim(a,d)·r_d,i4 = 0.316228 · 1
        let inter = Arc::new(four_by_four());
        let rec = Recommender::build(inter.clone(), Method::UserCf, params(50, 0.0), &()).unwrap();
        let recs = rec.recommend(0, 10);
        let sim_ab = 4.0 / (3.0 * 5f32.sqrt());
        let sim_ad = 1.0 / 10f32.sqrt();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].item, "i3");
        assert!(close(recs[0].score, 2.0 * sim_ab));
        assert_eq!(recs[0].because.len(), 1);
        assert_eq!(recs[0].because[0].0, "b");
        assert!(close(recs[0].because[0].1, 2.0 * sim_ab));
        assert_eq!(recs[1].item, "i4");
        assert!(close(recs[1].score, sim_ad));
        assert_eq!(recs[1].because[0].0, "d");

        // One neighbour: only b counts.
        let rec = Recommender::build(inter, Method::UserCf, params(1, 0.0), &()).unwrap();
        let recs = rec.recommend(0, 10);
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].item, "i3");

        // Shrinkage 5: sim(a,b) = 4 / (3√5 + 5) = 0.341 → score 0.682.
        let rec = Recommender::build(
            Arc::new(four_by_four()),
            Method::UserCf,
            params(50, 5.0),
            &(),
        )
        .unwrap();
        let recs = rec.recommend(0, 1);
        assert!(close(recs[0].score, 2.0 * 4.0 / (3.0 * 5f32.sqrt() + 5.0)));
    }

    #[test]
    fn popularity_ranks_by_users_with_ties_by_item() {
        // Users per item: i1 2, i2 3, i3 2, i4 2.
        let inter = Arc::new(four_by_four());
        let rec = Recommender::build(inter, Method::Popularity, params(50, 0.0), &()).unwrap();
        assert_eq!(rec.popularity, vec![2.0, 3.0, 2.0, 2.0]);
        // User c has i3, i4: i2 (3 users) then i1 (2).
        let recs = rec.recommend(2, 10);
        let items: Vec<&str> = recs.iter().map(|r| r.item.as_str()).collect();
        assert_eq!(items, vec!["i2", "i1"]);
        assert!(recs.iter().all(|r| r.because.is_empty()));
        assert_eq!(recs[0].score, 3.0);
    }

    #[test]
    fn unknown_user_is_an_error_or_popular_with_fallback() {
        let inter = Arc::new(four_by_four());
        let rec = Recommender::build(inter, Method::ItemCf, params(50, 0.0), &()).unwrap();
        let err = rec.recommend_for_id("zed", 3, false).unwrap_err();
        assert!(matches!(&err, RecError::UnknownUser { user } if user == "zed"));
        assert!(err.to_string().contains("'zed'"));
        let recs = rec.recommend_for_id("zed", 3, true).unwrap();
        let items: Vec<&str> = recs.iter().map(|r| r.item.as_str()).collect();
        assert_eq!(items, vec!["i2", "i1", "i3"]);
        assert_eq!(rec.recommend_for_id("a", 3, false).unwrap()[0].item, "i3");
        assert!(matches!(
            rec.similar_items_for_id("nope", 3),
            Err(RecError::UnknownItem { .. })
        ));
    }

    #[test]
    fn similar_items_work_for_every_method() {
        let inter = Arc::new(four_by_four());
        let c = 4.0 / 30f32.sqrt();
        for method in Method::ALL {
            let rec = Recommender::build(inter.clone(), method, params(50, 0.0), &()).unwrap();
            let similar = rec.similar_items(1, 2);
            assert_eq!(similar.len(), 2, "{method}");
            assert_eq!(similar[0].0, "i1");
            assert_eq!(similar[1].0, "i3");
            assert!(close(similar[0].1, c) && close(similar[1].1, c));
        }
    }

    #[test]
    fn cancel_stops_the_work() {
        struct Cancelled;
        impl Progress for Cancelled {
            fn report(&self, _: f32, _: &str) {}
            fn is_cancelled(&self) -> bool {
                true
            }
        }
        let inter = four_by_four();
        assert!(matches!(
            item_neighbours(&inter, &params(50, 0.0), &Cancelled),
            Err(RecError::Cancelled)
        ));
    }

    #[test]
    fn method_names_parse_and_print() {
        assert_eq!("item".parse::<Method>().unwrap(), Method::ItemCf);
        assert_eq!("user".parse::<Method>().unwrap(), Method::UserCf);
        assert_eq!("popular".parse::<Method>().unwrap(), Method::Popularity);
        assert_eq!("item_cf".parse::<Method>().unwrap(), Method::ItemCf);
        assert!("best".parse::<Method>().is_err());
        assert_eq!(Method::UserCf.key(), "user_cf");
        assert_eq!(
            serde_json::to_string(&Method::Popularity).unwrap(),
            "\"popularity\""
        );
        assert_eq!(CfParams::default(), params(50, 10.0));
    }

    #[test]
    fn parallel_results_equal_serial_results_on_generated_data() {
        let inter = generated(300, 200, 6_000, 7);
        let p = params(20, 2.0);
        let nn = item_neighbours(&inter, &p, &()).unwrap();
        let input = ItemSimilarityInput::new(&inter, &p);
        let mut scratch = ItemScratch {
            dots: Accumulator::new(inter.n_items()),
            candidates: Vec::new(),
        };
        for item in 0..inter.n_items() {
            let serial = input.top_similar(&mut scratch, item, nn.k);
            let (js, sims) = nn.of(item);
            assert_eq!(js, serial.iter().map(|p| p.0).collect::<Vec<_>>());
            assert_eq!(sims, serial.iter().map(|p| p.1).collect::<Vec<_>>());
        }
    }

    /// Power-law interactions: item `j` is drawn with weight 1/(j+1),
    /// users with weight 1/(u+1)^0.5, duplicates summed as counts.
    pub(crate) fn generated(
        n_users: usize,
        n_items: usize,
        n_interactions: usize,
        seed: u64,
    ) -> Interactions {
        use crate::data::rng::Rng;
        let mut rng = Rng::new(seed);
        let cumulative = |weights: Vec<f64>| {
            let mut total = 0.0;
            weights
                .into_iter()
                .map(|w| {
                    total += w;
                    total
                })
                .collect::<Vec<f64>>()
        };
        let item_cdf = cumulative((0..n_items).map(|j| 1.0 / (j + 1) as f64).collect());
        let user_cdf = cumulative(
            (0..n_users)
                .map(|u| 1.0 / ((u + 1) as f64).sqrt())
                .collect(),
        );
        let draw = |rng: &mut Rng, cdf: &[f64]| {
            let target = rng.uniform() * cdf.last().unwrap();
            cdf.partition_point(|&c| c <= target).min(cdf.len() - 1) as u32
        };
        let mut triples: Vec<(u32, u32, f32)> = (0..n_interactions)
            .map(|_| (draw(&mut rng, &user_cdf), draw(&mut rng, &item_cdf), 1.0))
            .collect();
        let user_items = Csr::from_triples(n_users, n_items, &mut triples);
        Interactions {
            users: (0..n_users).map(|u| format!("u{u:05}")).collect(),
            items: (0..n_items).map(|j| format!("s{j:05}")).collect(),
            user_items,
            explicit: false,
            times: None,
        }
    }
}
