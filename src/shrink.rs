//! The one minimizer: shrinks a failing fact sequence by deleting facts, for every kind of failure
//! (a divergence blamed on the same rule, a subject that fails the same way, a fuzz crash).
//!
//! Chunks of facts are removed, the chunk size halving down to single facts, for as long as a
//! candidate still fails the same way; the result is 1-minimal (removing any one fact makes it
//! pass, or fail otherwise).

use crate::fact::Fact;

/// Shrinks `facts`, which fail as `failure` says, by deleting facts while `check` still finds the
/// same failure (`Some`) on the candidate; returns the smallest sequence and its failure. An error
/// of `check` (a subject that cannot run at all) ends the shrinking.
pub fn delete_facts<T, E>(
    mut facts: Vec<Fact>,
    mut failure: T,
    mut check: impl FnMut(&[Fact]) -> Result<Option<T>, E>,
) -> Result<(Vec<Fact>, T), E> {
    let mut chunk = (facts.len() / 2).max(1);
    loop {
        let mut improved = false;
        let mut start = 0;
        while start < facts.len() {
            let end = (start + chunk).min(facts.len());
            let mut candidate = facts.clone();
            candidate.drain(start..end);
            match check(&candidate)? {
                Some(found) => {
                    facts = candidate;
                    failure = found;
                    improved = true;
                }
                None => start = end,
            }
        }
        if chunk == 1 && !improved {
            return Ok((facts, failure));
        }
        if !improved {
            chunk = (chunk / 2).max(1);
        }
    }
}

/// [`delete_facts`] for a plain verdict: shrinks `facts` while `fails` holds.
pub fn delete_facts_while(facts: Vec<Fact>, mut fails: impl FnMut(&[Fact]) -> bool) -> Vec<Fact> {
    let shrunk = delete_facts(facts, (), |candidate| {
        Ok::<_, std::convert::Infallible>(fails(candidate).then_some(()))
    });
    match shrunk {
        Ok((facts, ())) => facts,
        Err(never) => match never {},
    }
}
