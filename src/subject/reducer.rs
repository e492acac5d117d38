//! The production reducer as a [`Subject`]: compared in process, without the line protocol.

use super::{Subject, SubjectError};
use crate::event::{Limits, Output};
use crate::fact::Fact;
use crate::profile::Profile;
use crate::reducer::{Hooks, Reducer};

/// Any reducer, production or with a seeded defect (its hooks, `H`, make no difference here).
impl<H: Hooks> Subject for Reducer<H> {
    fn name(&self) -> String {
        "reducer".to_owned()
    }

    fn reset(&mut self, limits: Limits, profile: &Profile) -> Result<(), SubjectError> {
        Reducer::reset(self, limits, *profile);
        Ok(())
    }

    fn ingest(
        &mut self,
        _fact_index: usize,
        fact: &Fact,
        outputs: &mut Vec<Output>,
    ) -> Result<(), SubjectError> {
        Reducer::ingest(self, fact, outputs);
        Ok(())
    }
}
