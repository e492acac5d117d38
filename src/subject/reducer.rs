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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Table;
    use crate::trace::parse_trace;

    #[test]
    fn subject_reset_forgets_state() {
        let mut reducer = Reducer::new(Limits::default());
        let input = parse_trace(
            r#"{"review_spec_trace": 3}
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}"#,
        )
        .expect("a valid trace")
        .facts;
        let mut outputs = Vec::new();
        for (index, fact) in input.iter().enumerate() {
            assert!(Subject::ingest(&mut reducer, index, fact, &mut outputs).is_ok());
        }
        assert_eq!(reducer.table_len(Table::PendingRequests), 1);
        assert!(Subject::reset(&mut reducer, Limits::default(), &Profile::SPEC).is_ok());
        assert_eq!(reducer.live_entries(), 0);
        assert_eq!(Subject::name(&reducer), "reducer");
    }
}
