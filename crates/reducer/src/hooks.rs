//! The reducer's hooks: the one question a seeded defect's branch asks, "is this defect switched
//! on?", answered by the reducer's hooks type parameter, `Reducer<H: Hooks = NoDefects>`.
//!
//! Production code writes `Reducer` and gets `Reducer<NoDefects>`: a zero-sized hooks value whose
//! [`Hooks::breaks`] is `false`, inlined, so the optimizer removes every defect branch of the
//! production build. The `seeded-defects` feature adds the other implementation,
//! `Seeded`, which carries one [`Defect`]. The trait is sealed: only this crate
//! decides which hooks exist, so no build without the feature can switch a defect on.

use super::Defect;

/// What a reducer asks before each seeded defect's branch. Sealed: implemented by [`NoDefects`]
/// and, with the `seeded-defects` feature, by `Seeded`.
pub trait Hooks: sealed::Sealed {
    /// Whether the reducer should make the mistake `defect` names.
    fn breaks(&self, defect: Defect) -> bool;
}

/// The production reducer's hooks: no defect, ever. Zero-sized; every branch it answers is dead
/// code the optimizer removes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoDefects;

impl Hooks for NoDefects {
    #[inline(always)]
    fn breaks(&self, _defect: Defect) -> bool {
        false
    }
}

impl sealed::Sealed for NoDefects {}

pub(super) mod sealed {
    /// Keeps [`super::Hooks`] closed to other crates.
    pub trait Sealed {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reducer;

    /// The production type is `Reducer<NoDefects>`, and its hooks take no room.
    #[test]
    fn the_production_reducer_has_zero_sized_hooks_that_break_nothing() {
        let reducer: Reducer<NoDefects> = Reducer::new(crate::event::Limits::default());
        assert_eq!(std::mem::size_of::<NoDefects>(), 0);
        assert_eq!(
            std::mem::size_of::<Reducer>(),
            std::mem::size_of_val(&reducer)
        );
        #[cfg(feature = "seeded-defects")]
        assert!(
            Defect::ALL
                .iter()
                .all(|&defect| !reducer.hooks.breaks(defect))
        );
    }
}
