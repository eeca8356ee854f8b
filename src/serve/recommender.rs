//! Serving a recommender ([`Recommender`]): its V2 signature and inference.
//!
//! Inputs: `user` (BYTES `[n]`, one resident id per row) and the optional
//! `top` (INT64 `[1]`, how many items per user: default 10, at most 100).
//! Outputs: `items` (BYTES `[n, top]`) and `scores` (FP32 `[n, top]`), best
//! first, padded with `""` and `0` when fewer items qualify. A user the
//! recommender does not know gets the most popular items, unless the
//! request's `parameters` has `"fallback": false`, which makes it a 400
//! naming the user. Uses `recommend` and `models`; nothing here touches HTTP.

use serde_json::{Map, Value};

use crate::models::recommender::RecommenderCard;
use crate::recommend::{RecError, Recommender};

use super::error::ApiError;
use super::tensor::{DataType, InputTensor, OutputTensor, TensorSpec, Values};

pub const USER_INPUT: &str = "user";
pub const TOP_INPUT: &str = "top";
pub const ITEMS_OUTPUT: &str = "items";
pub const SCORES_OUTPUT: &str = "scores";
pub const FALLBACK_PARAMETER: &str = "fallback";
pub const DEFAULT_TOP: usize = 10;
pub const MAX_TOP: usize = 100;

pub fn input_specs() -> Vec<TensorSpec> {
    vec![
        TensorSpec::new(USER_INPUT, DataType::Bytes, vec![-1]),
        TensorSpec::new(TOP_INPUT, DataType::Int64, vec![1]),
    ]
}

pub fn output_specs() -> Vec<TensorSpec> {
    vec![
        TensorSpec::new(ITEMS_OUTPUT, DataType::Bytes, vec![-1, -1]),
        TensorSpec::new(SCORES_OUTPUT, DataType::Fp32, vec![-1, -1]),
    ]
}

/// The metadata `parameters`: the method, the vocabulary sizes and how
/// `top` and the fallback work.
pub fn parameters(card: &RecommenderCard) -> Value {
    serde_json::json!({
        "kind": card.header.kind,
        "method": card.method.key(),
        "users": card.users.len(),
        "items": card.items.len(),
        "interactions": card.n_interactions,
        "optional_inputs": [TOP_INPUT],
        "default_top": DEFAULT_TOP,
        "max_top": MAX_TOP,
        "fallback": "unknown users get the most popular items; send parameters {\"fallback\": false} to get an error instead",
        "created_at": card.header.created_at,
        "cityops_version": card.header.cityops_version,
    })
}

/// Recommends for every user of the request.
pub fn infer(
    model_name: &str,
    rec: &Recommender,
    inputs: Vec<InputTensor>,
    parameters: Option<&Map<String, Value>>,
) -> Result<Vec<OutputTensor>, ApiError> {
    let mut users = None;
    let mut top = None;
    for t in inputs {
        let slot = match t.name.as_str() {
            USER_INPUT => &mut users,
            TOP_INPUT => &mut top,
            other => {
                return Err(ApiError::bad_request(format!(
                    "model '{model_name}' has no input '{other}'; its inputs are '{USER_INPUT}' (BYTES [n]) and the optional '{TOP_INPUT}' (INT64 [1])"
                )));
            }
        };
        if slot.is_some() {
            return Err(ApiError::bad_request(format!(
                "input '{}' is sent twice; send each input once",
                t.name
            )));
        }
        *slot = Some(t);
    }
    let Some(users) = users else {
        return Err(ApiError::bad_request(format!(
            "input '{USER_INPUT}' (BYTES [n], the user ids) is missing; model '{model_name}' needs it"
        )));
    };
    let users = user_ids(users)?;
    let top = match top {
        Some(t) => top_count(t)?,
        None => DEFAULT_TOP,
    };
    let fallback = match parameters.and_then(|p| p.get(FALLBACK_PARAMETER)) {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "parameter '{FALLBACK_PARAMETER}' must be true or false, not {other}"
            )));
        }
    };
    let n = users.len();
    let mut items = Vec::with_capacity(n * top);
    let mut scores = Vec::with_capacity(n * top);
    for user in &users {
        let recs = rec
            .recommend_for_id(user, top, fallback)
            .map_err(|e| match e {
                RecError::UnknownUser { .. } => ApiError::bad_request(format!(
                    "input '{USER_INPUT}': {e} (the request asked for no fallback)"
                )),
                other => ApiError::internal(format!("model '{model_name}': {other}")),
            })?;
        let used = recs.len().min(top);
        for r in recs.into_iter().take(top) {
            items.push(r.item);
            scores.push(r.score);
        }
        items.extend(std::iter::repeat_n(String::new(), top - used));
        scores.extend(std::iter::repeat_n(0.0, top - used));
    }
    Ok(vec![
        OutputTensor::bytes(ITEMS_OUTPUT, vec![n, top], items),
        OutputTensor::fp32(SCORES_OUTPUT, vec![n, top], scores),
    ])
}

fn user_ids(t: InputTensor) -> Result<Vec<String>, ApiError> {
    t.column_rows()?;
    let Values::Bytes(ids) = t.values else {
        return Err(ApiError::bad_request(format!(
            "input '{USER_INPUT}' must be BYTES (user ids as strings), not {}",
            t.datatype
        )));
    };
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| {
            id.ok_or_else(|| {
                ApiError::bad_request(format!(
                    "input '{USER_INPUT}', value #{} is null; every row needs a user id",
                    i + 1
                ))
            })
        })
        .collect()
}

fn top_count(t: InputTensor) -> Result<usize, ApiError> {
    let Values::Int(v) = &t.values else {
        return Err(ApiError::bad_request(format!(
            "input '{TOP_INPUT}' must be INT64 (how many items per user), not {}",
            t.datatype
        )));
    };
    match v.as_slice() {
        [Some(k)] if (1..=MAX_TOP as i64).contains(k) => Ok(*k as usize),
        [Some(k)] => Err(ApiError::bad_request(format!(
            "input '{TOP_INPUT}' is {k}; ask for 1 to {MAX_TOP} items per user"
        ))),
        _ => Err(ApiError::bad_request(format!(
            "input '{TOP_INPUT}' must hold exactly one number (shape [1]), from 1 to {MAX_TOP}; it has shape {:?}",
            t.shape
        ))),
    }
}
