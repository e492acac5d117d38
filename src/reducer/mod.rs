//! The production reducer (in progress): bounded storage first.

mod table;
