//! Limits on the work a request may ask for, checked before the work is
//! done: how many model computations run at once, and how many values a
//! response may hold.
//!
//! - **Inference at once**: model calls run on tokio's blocking pool, which
//!   grows to 512 threads; without a cap a burst of large batches would run
//!   them all at once and multiply memory. A semaphore of
//!   `max_concurrent_inference` permits (the number of CPUs by default)
//!   guards every model call; a request waits up to `inference_queue_wait`
//!   for a permit, then gets `503` with "retry". The permit travels into
//!   the blocking task, so a client that hangs up does not free it before
//!   the computation ends.
//! - **Response size**: the values a response will hold are worked out from
//!   the model's output shapes and the request's rows before the model
//!   runs (an embedding of `n` texts is `n × dim` numbers whatever the input
//!   looked like), and a request over `max_output_values` is refused with
//!   `400` naming the limit.
//!
//! Uses the registry's model kinds and tokio; no HTTP here but the errors.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;
use super::recommender::{DEFAULT_TOP, MAX_TOP, TOP_INPUT};
use super::registry::ServedModel;
use super::tensor::{InputTensor, Values};

/// The default cap on model computations at once: the number of CPUs.
pub fn default_concurrent_inference() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Permits for model computations.
#[derive(Clone)]
pub struct InferenceSlots {
    permits: Arc<Semaphore>,
    wait: Duration,
}

impl InferenceSlots {
    pub fn new(at_once: usize, wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(at_once.max(1))),
            wait,
        }
    }

    /// Runs `work` on the blocking pool once a permit is free, or answers
    /// 503 when none frees up within the wait.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = self.acquire().await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| ApiError::internal(format!("the model task failed: {e}")))?
    }

    async fn acquire(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        let busy = || ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: format!(
                "the server is busy: every model slot has been taken for {:.1} s; retry in a moment, or send smaller batches",
                self.wait.as_secs_f64()
            ),
        };
        match tokio::time::timeout(self.wait, Arc::clone(&self.permits).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(busy()),
        }
    }
}

/// The number of values `model`'s outputs will hold for `inputs`, worked
/// out from the output shapes (saturating; never allocates).
pub fn output_values(model: &ServedModel, inputs: &[InputTensor]) -> usize {
    let is_recommender = matches!(model, ServedModel::Recommender { .. });
    let top = if is_recommender {
        inputs
            .iter()
            .find(|t| t.name == TOP_INPUT)
            .and_then(|t| match &t.values {
                Values::Int(v) => v.first().copied().flatten(),
                _ => None,
            })
            .and_then(|t| usize::try_from(t).ok())
            .map_or(DEFAULT_TOP, |t| t.clamp(1, MAX_TOP))
    } else {
        1
    };
    // Every value of a row-bearing input may become a row of the output
    // (an embedding model embeds each string, whatever the shape).
    let rows = inputs
        .iter()
        .filter(|t| !(is_recommender && t.name == TOP_INPUT))
        .map(|t| t.values.len())
        .max()
        .unwrap_or(0);
    let per_row = model
        .outputs()
        .iter()
        .map(|spec| {
            spec.shape
                .iter()
                .skip(1)
                .map(|&d| usize::try_from(d).unwrap_or(top))
                .fold(1usize, usize::saturating_mul)
        })
        .fold(0usize, usize::saturating_add);
    rows.saturating_mul(per_row.max(1))
}

/// Refuses a response of `values` values over `max_values`.
pub fn check_output_values(
    model_name: &str,
    values: usize,
    max_values: usize,
) -> Result<(), ApiError> {
    if values <= max_values {
        return Ok(());
    }
    Err(ApiError::bad_request(format!(
        "the answer of model '{model_name}' to this request would hold {values} values; this server sends at most {max_values} values per response. Send fewer rows per request."
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_waits_briefly_for_a_model_slot_then_gets_503() {
        let slots = InferenceSlots::new(1, Duration::from_millis(100));
        let busy = {
            let slots = slots.clone();
            tokio::spawn(async move {
                slots
                    .run(|| {
                        std::thread::sleep(Duration::from_millis(600));
                        Ok(1)
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let t0 = std::time::Instant::now();
        let err = slots.run(|| Ok(2)).await.unwrap_err();
        assert_eq!(err.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(err.message.contains("busy"), "{}", err.message);
        assert!(t0.elapsed() < Duration::from_millis(500));
        assert_eq!(busy.await.unwrap().unwrap(), 1);
        // Free again: the next one runs.
        assert_eq!(slots.run(|| Ok(3)).await.unwrap(), 3);
    }

    #[test]
    fn the_response_limit_names_both_numbers() {
        assert!(check_output_values("m", 10, 10).is_ok());
        let err = check_output_values("m", 11, 10).unwrap_err();
        assert!(
            err.message.contains("11 values") && err.message.contains("at most 10"),
            "{}",
            err.message
        );
    }
}
