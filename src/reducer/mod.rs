//! The production reducer (placeholder until the reducer lands).
