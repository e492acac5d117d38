//! The executable reference model (placeholder until the model lands).
use crate::event::{Emitted, Limits};
use crate::fact::Fact;

/// Reduces a fact sequence to its outputs.
pub fn reduce(_facts: &[Fact], _limits: &Limits) -> Vec<Emitted> {
    Vec::new()
}
