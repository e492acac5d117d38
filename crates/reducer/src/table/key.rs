//! How a table finds a key: through a borrowed view of it ([`TableKey::View`]), hashed by the
//! key's own choice of hasher, so a lookup by borrowed ids clones nothing.

use std::hash::{BuildHasher, Hash};

use foldhash::fast::RandomState;

use crate::fact::Id;
use crate::id::StoredHashes;

/// A key that can be looked up through a borrowed view of itself.
pub(crate) trait TableKey {
    /// The borrowed form of the key. Owned and borrowed keys hash through this view, so both
    /// hash alike by construction.
    type View<'a>: Copy + Hash
    where
        Self: 'a;

    /// How the table hashes views: a seeded hasher for keys an input names freely (request and
    /// connection numbers), [`StoredHashes`] for keys made of ids, which carry their own hash.
    type Hashing: BuildHasher + Default;

    /// The borrowed form of this key.
    fn view(&self) -> Self::View<'_>;

    /// Whether this key is the one `query` names.
    fn matches(&self, query: Self::View<'_>) -> bool;
}

impl TableKey for u64 {
    type View<'a> = u64;
    type Hashing = RandomState;

    fn view(&self) -> u64 {
        *self
    }

    fn matches(&self, query: u64) -> bool {
        *self == query
    }
}

impl TableKey for Id {
    type View<'a> = &'a Id;
    type Hashing = StoredHashes;

    fn view(&self) -> &Id {
        self
    }

    fn matches(&self, query: &Id) -> bool {
        self == query
    }
}

/// Plain strings key the tables of the table module's own tests.
#[cfg(test)]
impl TableKey for String {
    type View<'a> = &'a str;
    type Hashing = RandomState;

    fn view(&self) -> &str {
        self
    }

    fn matches(&self, query: &str) -> bool {
        self == query
    }
}

#[cfg(test)]
mod tests {
    use crate::fact::Id;
    use crate::table::collisions::assert_lookups_survive_collisions;

    #[test]
    fn string_id_and_integer_keys_are_told_apart_under_colliding_hashes() {
        assert_lookups_survive_collisions(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]);
        assert_lookups_survive_collisions(vec![1u64, 2, 3]);
        // The shared ids the reducer's tables are keyed by (the thread table).
        assert_lookups_survive_collisions(vec![Id::from("a"), Id::from("b"), Id::from("c")]);
    }
}
