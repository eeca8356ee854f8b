//! Predictions: tabular neural networks on candle. The feature pipeline,
//! the MLP, the trainer (with [`TrainConfig::validate`]), metrics and
//! baselines, forecasting from lagged values, the trained [`TabularModel`]
//! with its evaluation, [`apply`] (a model's predictions as a new dataset,
//! for the command line and the dashboard); and
//! [`dense`], the CPU dense layers that batch inference (here and in the
//! sentence encoder) runs on instead of candle's graph.
//!
//! Uses `data`, candle and gemm; knows nothing of egui, files or the network
//! (saving and loading bundles is `models`' job).

pub mod apply;
pub mod dense;
pub mod evaluate;
pub mod features;
pub mod forecast;
pub mod metrics;
pub mod mlp;
pub mod model;
pub mod trainer;

use serde::{Deserialize, Serialize};

pub use evaluate::Evaluation;
pub use model::{ModelInputs, Predictions, TabularModel, TrainRequest, train_model};
pub use trainer::{EpochReport, TrainConfig};

/// What a model predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Two or more classes.
    Classify,
    Regress,
    /// A time series some hours ahead, from its own past.
    Forecast,
}

impl Task {
    pub fn name(self) -> &'static str {
        match self {
            Self::Classify => "classify",
            Self::Regress => "regress",
            Self::Forecast => "forecast",
        }
    }

    /// The metric that decides whether the model beats its baseline.
    pub fn headline_metric(self) -> &'static str {
        match self {
            Self::Classify => "balanced_accuracy",
            Self::Regress => "mae",
            Self::Forecast => "mae",
        }
    }
}

/// The task as the user asked for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TaskChoice {
    #[default]
    Auto,
    Fixed(Task),
}

impl std::str::FromStr for TaskChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "classify" => Ok(Self::Fixed(Task::Classify)),
            "regress" => Ok(Self::Fixed(Task::Regress)),
            "forecast" => Ok(Self::Fixed(Task::Forecast)),
            other => Err(format!(
                "unknown task '{other}': use auto, classify, regress or forecast"
            )),
        }
    }
}

/// The target and how its values map to network outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetSpec {
    /// Class labels in output order, with their training frequencies.
    Classes {
        column: String,
        labels: Vec<String>,
        frequencies: Vec<f64>,
    },
    /// A number, standardised for training with these statistics.
    Numeric { column: String, mean: f64, std: f64 },
}

impl TargetSpec {
    pub fn column(&self) -> &str {
        match self {
            Self::Classes { column, .. } | Self::Numeric { column, .. } => column,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MlError {
    #[error(
        "the table has no column '{column}'. Choose a table that has it, or train a model on the columns this table has."
    )]
    MissingColumn { column: String },
    #[error(
        "column '{column}' is {found} here but the model was trained on {expected} values. Check that this is the right table."
    )]
    WrongType {
        column: String,
        expected: String,
        found: String,
    },
    #[error("the target '{column}' cannot be used for {task}: {why}")]
    BadTarget {
        column: String,
        task: &'static str,
        why: String,
    },
    #[error("not enough data to {what}: {why}")]
    NotEnoughData { what: &'static str, why: String },
    #[error("no features: {0}")]
    NoFeatures(String),
    #[error("training was cancelled before the first epoch finished")]
    Cancelled,
    #[error("the model's weights do not fit its card: {0}")]
    Weights(String),
    /// A training setting out of its range: which, its value, and the
    /// values that work.
    #[error("the training setting {field} is {value}; choose {allowed}")]
    InvalidConfig {
        field: &'static str,
        value: String,
        allowed: String,
    },
    #[error("numeric error in candle: {0}")]
    Candle(#[from] candle_core::Error),
}

impl crate::data::Blame for MlError {
    /// Columns, targets, features and settings are the user's choice; a
    /// cancel, weights that do not fit and candle failing are not.
    fn is_user_input(&self) -> bool {
        match self {
            Self::MissingColumn { .. }
            | Self::WrongType { .. }
            | Self::BadTarget { .. }
            | Self::NotEnoughData { .. }
            | Self::NoFeatures(_)
            | Self::InvalidConfig { .. } => true,
            Self::Cancelled | Self::Weights(_) | Self::Candle(_) => false,
        }
    }
}
