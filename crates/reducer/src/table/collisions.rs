//! Test support: a hasher under which every key collides, so that only key comparison
//! (`TableKey::matches`) tells entries apart.

use std::hash::{BuildHasher, Hasher};

use super::{Slab, TableKey};

#[derive(Default)]
pub(crate) struct Collide;

pub(crate) struct Constant;

impl Hasher for Constant {
    fn finish(&self) -> u64 {
        7
    }
    fn write(&mut self, _: &[u8]) {}
}

impl BuildHasher for Collide {
    type Hasher = Constant;
    fn build_hasher(&self) -> Constant {
        Constant
    }
}

/// Stores `keys` (all distinct) under one hash, then checks every lookup finds its own
/// entry, before and after removing one of them.
pub(crate) fn assert_lookups_survive_collisions<K: TableKey + std::fmt::Debug>(keys: Vec<K>) {
    assert!(keys.len() >= 3, "need at least three keys");
    let mut slab: Slab<K, usize, Collide> = Slab::new();
    let mut inserted = Vec::new();
    for (index, key) in keys.into_iter().enumerate() {
        inserted.push(slab.insert(key, index));
    }
    let check = |slab: &Slab<K, usize, Collide>, removed: Option<usize>| {
        for (index, handle) in inserted.iter().enumerate() {
            let Some((key, _)) = slab.entry(*handle) else {
                assert_eq!(removed, Some(index), "entry {index} vanished");
                continue;
            };
            let found = slab
                .find(key.view())
                .and_then(|h| slab.entry(h))
                .map(|(_, v)| *v);
            assert_eq!(
                found,
                Some(index),
                "lookup of {key:?} under a colliding hash"
            );
        }
    };
    check(&slab, None);
    let middle = inserted[1];
    assert!(slab.remove(middle).is_some());
    check(&slab, Some(1));
}
