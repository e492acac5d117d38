//! `serve`: the production reducer as a subject process, speaking the protocol of
//! `spec/protocol.md` on stdin and stdout (`check --subject-cmd "review-spec serve"`): the
//! protocol's own cost measured against the same reducer in process, and a complete, fast
//! subject for implementers to read. With the `seeded-defects` feature, `--defect NAME` serves a
//! reducer with that seeded defect switched on.

use clap::Args;

use super::{CliError, Outcome};
use crate::event::Limits;
use crate::reducer::Reducer;
use crate::subject::{Subject, serve};

#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// Serve the reducer with this seeded defect switched on (snake case, as `check`'s reports
    /// and `REVIEW_SPEC_DEFECT` name them).
    #[cfg(feature = "seeded-defects")]
    #[arg(long, value_name = "NAME", value_parser = defect_names())]
    pub defect: Option<String>,
}

#[cfg(feature = "seeded-defects")]
fn defect_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        crate::reducer::Defect::ALL.map(|defect| defect.name()),
    )
}

pub(super) fn run(args: ServeArgs) -> Result<Outcome, CliError> {
    let mut subject = subject(&args);
    let (stdin, stdout) = (std::io::stdin().lock(), std::io::stdout().lock());
    serve(subject.as_mut(), stdin, stdout)?;
    Ok(Outcome::Agree)
}

fn subject(args: &ServeArgs) -> Box<dyn Subject> {
    #[cfg(feature = "seeded-defects")]
    if let Some(name) = &args.defect {
        use crate::reducer::Defect;
        if let Some(defect) = Defect::ALL.into_iter().find(|defect| defect.name() == name) {
            return Box::new(Reducer::with_defect(Limits::default(), defect));
        }
    }
    let _ = args;
    Box::new(Reducer::new(Limits::default()))
}
