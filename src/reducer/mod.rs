//! The production reducer (in progress): bounded storage and state first.

mod state;
mod table;
