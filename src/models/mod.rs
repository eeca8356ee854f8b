//! Models on disk: the bundle format (a JSON card plus safetensors
//! weights, saved atomically), loading with every check a user needs, and
//! training-data fingerprints; the kinds of model and the header every card
//! shares (`card`); where the models folder is (`folder`); the registry
//! over a models folder; downloads
//! (`fetch`); clients for remote serving engines (`remote`: Open Inference
//! Protocol V2 and OpenAI-compatible embeddings).

pub mod alerts;
pub mod bundle;
pub mod card;
pub mod encoder;
pub mod fetch;
pub mod folder;
pub mod net;
pub mod recommender;
pub mod registry;
pub mod remote;
#[cfg(test)]
mod test_server;
pub mod wire;
pub mod word_vectors;

pub use bundle::{Bundle, BundleError, ModelCard, load_bundle, save_bundle};
pub use card::{CardHeader, ModelKind};
