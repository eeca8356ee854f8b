//! Models on disk: the bundle format (a JSON card plus safetensors
//! weights, saved atomically), loading with every check a user needs, and
//! training-data fingerprints. Later: the registry over a models folder,
//! downloads and remote clients.

pub mod bundle;
pub mod recommender;
pub mod registry;

pub use bundle::{Bundle, BundleError, ModelCard, load_bundle, save_bundle};
