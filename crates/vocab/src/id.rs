//! [`Id`]: a thread, turn, item or review id, shared and hashed once.
//!
//! An id is made once, where its fact is made (parsed from a trace, drawn by a generator), and
//! then only cloned, hashed and compared: the reducer keys its tables by ids and copies them into
//! every event. So an id keeps its hash, its length and its text in one reference-counted
//! allocation behind a one-word pointer (so `Option<Id>` is one word too, and facts, keys and
//! events stay small): a clone is a reference count, hashing it writes the stored hash (never the
//! text again), and two ids are compared by pointer first, then by hash, and only then by their
//! bytes. On the wire an id is a plain JSON string; ids order and print as their text.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::Deref;
use std::sync::LazyLock;

use arbitrary::{Arbitrary, Unstructured};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use triomphe::ThinArc;

/// The hasher of every id's text: one per process, seeded at random, so that ids chosen to
/// collide in one process do not collide in another.
static TEXT_HASHER: LazyLock<foldhash::fast::RandomState> = LazyLock::new(Default::default);

/// A shared id: its text (as UTF-8 bytes), with the text's hash computed when the id was made.
#[derive(Clone)]
pub struct Id(ThinArc<u64, u8>);

impl Id {
    /// An id with this text (one allocation; the text is hashed here, once).
    pub fn new(text: &str) -> Id {
        Id::from_utf8_bytes(text.as_bytes())
    }

    /// An id of ASCII text given as bytes (e.g. digits written into a buffer), without a UTF-8
    /// check: ASCII is UTF-8. Bytes that are not ASCII give the empty id.
    pub fn from_ascii(text: &[u8]) -> Id {
        if !text.is_ascii() {
            debug_assert!(false, "Id::from_ascii on bytes that are not ASCII");
            return Id::new("");
        }
        Id::from_utf8_bytes(text)
    }

    /// Hashes the bytes of a `str` (the same for every constructor) and stores them.
    fn from_utf8_bytes(text: &[u8]) -> Id {
        Id(ThinArc::from_header_and_slice(
            TEXT_HASHER.hash_one(text),
            text,
        ))
    }

    /// The id's text.
    ///
    /// The bytes were copied from a `str` ([`Id::new`]) or checked to be ASCII (the crate's
    /// `from_ascii`), and an id never changes, so the UTF-8 check always passes (it is what keeping this crate free of `unsafe`
    /// costs; the reducer's hot path compares and hashes ids without it).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0.slice).unwrap_or_default()
    }

    /// Whether both are the same allocation (clones of one id).
    pub fn ptr_eq(this: &Id, other: &Id) -> bool {
        std::ptr::eq(this.0.ptr(), other.0.ptr())
    }

    fn stored_hash(&self) -> u64 {
        self.0.header.header
    }
}

impl PartialEq for Id {
    fn eq(&self, other: &Id) -> bool {
        Id::ptr_eq(self, other)
            || (self.stored_hash() == other.stored_hash() && self.0.slice == other.0.slice)
    }
}

impl Eq for Id {}

/// Hashes the stored hash of the text: equal ids have equal text, hence equal stored hashes.
/// (Not the hash of a `str`, so `Id` deliberately does not implement `Borrow<str>`.)
impl Hash for Id {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.stored_hash());
    }
}

impl PartialOrd for Id {
    fn partial_cmp(&self, other: &Id) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// By text, as strings order (UTF-8 bytes order as their characters do).
impl Ord for Id {
    fn cmp(&self, other: &Id) -> std::cmp::Ordering {
        self.0.slice.cmp(&other.0.slice)
    }
}

impl Deref for Id {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Default for Id {
    /// The empty id.
    fn default() -> Id {
        Id::new("")
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl From<&str> for Id {
    fn from(text: &str) -> Id {
        Id::new(text)
    }
}

impl From<String> for Id {
    fn from(text: String) -> Id {
        Id::new(&text)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        deserializer.deserialize_str(IdVisitor)
    }
}

/// Reads an id from any JSON string, borrowed or escaped ("a string", as for `String`).
struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = Id;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Id, E> {
        Ok(Id::new(text))
    }
}

/// The JSON Schema of a string, as for `str`.
impl JsonSchema for Id {
    fn inline_schema() -> bool {
        <str as JsonSchema>::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        <str as JsonSchema>::schema_name()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        <str as JsonSchema>::json_schema(generator)
    }
}

/// Drawn as a `&str` is, so the same bytes give the same id as a plain string would.
impl<'a> Arbitrary<'a> for Id {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Id> {
        <&str as Arbitrary>::arbitrary(u).map(Id::new)
    }
}

/// Hashes keys made of ids (the reducer's table keys) from the ids' stored hashes, combined by
/// rotation and exclusive or instead of hashed again. The stored hashes come from a hasher seeded
/// at random per process, so inputs cannot choose ids that collide; bytes written by anything
/// other than an id go through that seeded hasher too.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoredHashes;

impl BuildHasher for StoredHashes {
    type Hasher = StoredHashesHasher;

    fn build_hasher(&self) -> StoredHashesHasher {
        StoredHashesHasher(0)
    }
}

/// The state of one [`StoredHashes`] hash: the hashes written so far, combined.
pub struct StoredHashesHasher(u64);

impl Hasher for StoredHashesHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.write_u64(TEXT_HASHER.hash_one(bytes));
    }

    /// Each id writes its stored hash here; the rotation tells `(a, b)` from `(b, a)`.
    fn write_u64(&mut self, hash: u64) {
        self.0 = self.0.rotate_left(29) ^ hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Makes equal ids one allocation: a producer of facts (the trace reader, the generators) passes
/// each fact through it, so that equal ids of different facts are clones of one id and compare
/// by pointer. Holds at most `max_ids` distinct ids and forgets them all when full, so its memory
/// stays bounded whatever the trace; interning never changes what an id says.
pub struct Interner {
    ids: HashSet<Id, foldhash::fast::RandomState>,
    max_ids: usize,
}

impl Interner {
    /// Distinct ids an interner holds by default before it starts over.
    pub const DEFAULT_MAX_IDS: usize = 16_384;

    /// An empty interner holding at most `max_ids` distinct ids (at least one).
    pub fn new(max_ids: usize) -> Interner {
        Interner {
            ids: HashSet::default(),
            max_ids: max_ids.max(1),
        }
    }

    /// Replaces `id` with the held id of the same text, or holds `id` if there is none.
    pub fn intern(&mut self, id: &mut Id) {
        if let Some(held) = self.ids.get(id) {
            *id = held.clone();
            return;
        }
        if self.ids.len() >= self.max_ids {
            self.ids.clear();
        }
        self.ids.insert(id.clone());
    }

    /// Distinct ids held.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no id is held.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl Default for Interner {
    fn default() -> Interner {
        Interner::new(Interner::DEFAULT_MAX_IDS)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::hash_map::DefaultHasher;

    use super::*;
    use crate::fact::Fact;

    fn hash_of(id: &Id) -> u64 {
        let mut hasher = DefaultHasher::new();
        id.hash(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn ids_made_apart_from_equal_text_are_equal_and_hash_alike() {
        let (a, b) = (Id::new("thread-1"), Id::from(String::from("thread-1")));
        assert!(!Id::ptr_eq(&a, &b));
        assert_eq!(a, b);
        assert_eq!(hash_of(&a), hash_of(&b));
        assert_ne!(a, Id::new("thread-2"));
        assert_ne!(Id::new(""), Id::new("\0"));
    }

    #[test]
    fn ids_order_print_and_travel_as_their_text() {
        let mut ids = [Id::new("b"), Id::new("a"), Id::new("ab")];
        ids.sort();
        let texts: Vec<&str> = ids.iter().map(Id::as_str).collect();
        assert_eq!(texts, ["a", "ab", "b"]);
        assert_eq!(
            format!("{:?} {}", Id::new("x\"y"), Id::new("z")),
            "\"x\\\"y\" z"
        );
        let json = serde_json::to_string(&Id::new("t\u{e9}\n")).unwrap_or_default();
        assert_eq!(json, "\"t\u{e9}\\n\"");
        let back: Result<Id, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(Id::new("t\u{e9}\n")));
        let error = serde_json::from_str::<Id>("5").err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("invalid type: integer `5`, expected a string at line 1 column 1")
        );
    }

    #[test]
    fn an_ascii_id_is_the_id_of_the_same_text() {
        assert_eq!(Id::from_ascii(b"user:42"), Id::new("user:42"));
        let mut hasher = DefaultHasher::new();
        Id::from_ascii(b"user:42").hash(&mut hasher);
        assert_eq!(hasher.finish(), hash_of(&Id::new("user:42")));
    }

    #[test]
    fn an_id_is_one_word_and_orders_as_its_text_even_past_ascii() {
        assert_eq!(std::mem::size_of::<Id>(), std::mem::size_of::<usize>());
        assert_eq!(
            std::mem::size_of::<Option<Id>>(),
            std::mem::size_of::<usize>()
        );
        let texts = ["\u{10000}", "\u{ffff}", "\u{e9}", "z", ""];
        let mut ids: Vec<Id> = texts.iter().map(|text| Id::new(text)).collect();
        ids.sort();
        let mut sorted = texts;
        sorted.sort();
        let ordered: Vec<&str> = ids.iter().map(Id::as_str).collect();
        assert_eq!(ordered, sorted);
    }

    #[test]
    fn an_id_is_drawn_from_bytes_as_a_str_is() {
        let bytes = [3u8, b'a', b'b', b'c', b'd', 0xff];
        let as_id = Id::arbitrary(&mut Unstructured::new(&bytes)).ok();
        let as_str = <&str>::arbitrary(&mut Unstructured::new(&bytes)).ok();
        assert_eq!(as_id.as_deref(), as_str);
    }

    /// An id whose stored hash is `hash`, whatever its text: two texts under one hash, as a
    /// hash collision would give them.
    fn forged(text: &str, hash: u64) -> Id {
        Id(ThinArc::from_header_and_slice(hash, text.as_bytes()))
    }

    #[test]
    fn ids_under_one_hash_are_still_told_apart_by_their_text() {
        assert_ne!(forged("a", 7), forged("b", 7));
        assert_eq!(forged("a", 7), forged("a", 7));
        assert_ne!(forged("a", 7), forged("ab", 7));
    }

    #[test]
    fn an_id_is_a_string_to_json_schema_and_to_arbitrary() {
        assert_eq!(schemars::schema_for!(Id), schemars::schema_for!(String));
        // Inlined where it is used, as a string's schema is, never a reference to a definition.
        assert_eq!(
            schemars::schema_for!(Vec<Option<Id>>),
            schemars::schema_for!(Vec<Option<String>>)
        );
        for depth in [0, 1, 5] {
            assert_eq!(Id::size_hint(depth), <&str>::size_hint(depth));
        }
    }

    #[test]
    fn changing_one_id_of_a_key_changes_the_key_s_hash_by_that_id_s_hash_alone() {
        let (a, b, c) = (Id::new("a"), Id::new("b"), Id::new("c"));
        let of = |key: (&Id, &Id)| StoredHashes.hash_one(key);
        // Exclusive or loses no bit of either id: the two keys differ by exactly b ^ c.
        assert_eq!(
            of((&a, &b)) ^ of((&a, &c)),
            b.stored_hash() ^ c.stored_hash()
        );
        // Bytes (anything but an id) are hashed too, by the seeded text hasher.
        assert_ne!(StoredHashes.hash_one("abc"), StoredHashes.hash_one("abd"));
        assert_eq!(StoredHashes.hash_one("abc"), StoredHashes.hash_one("abc"));
    }

    #[test]
    fn keys_of_ids_hash_by_their_stored_hashes_in_order() {
        let (a, b) = (Id::new("a"), Id::new("b"));
        let of = |key: (&Id, &Id)| StoredHashes.hash_one(key);
        assert_eq!(of((&a, &b)), of((&Id::new("a"), &Id::new("b"))));
        assert_ne!(of((&a, &b)), of((&b, &a)));
        assert_ne!(of((&a, &a)), of((&b, &b)));
        assert_eq!(StoredHashes.hash_one(&a), a.stored_hash());
    }

    #[test]
    fn an_interner_shares_equal_ids_and_stays_bounded() {
        let mut interner = Interner::new(2);
        assert!(interner.is_empty());
        let (mut a, mut b, mut c) = (Id::new("t1"), Id::new("t1"), Id::new("t2"));
        interner.intern(&mut a);
        assert!(!interner.is_empty());
        interner.intern(&mut b);
        assert!(Id::ptr_eq(&a, &b));
        interner.intern(&mut c);
        assert_eq!(interner.len(), 2);
        let mut d = Id::new("t3");
        interner.intern(&mut d);
        assert_eq!(
            interner.len(),
            1,
            "full: forgets all, then holds the new id"
        );
        let mut e = Id::new("t1");
        interner.intern(&mut e);
        assert!(!Id::ptr_eq(&a, &e), "forgotten ids are held afresh");
        assert_eq!(a, e);
    }

    #[test]
    fn interning_a_fact_reaches_every_id_and_changes_no_text() {
        let line = r#"{"type":"guardian_review_completed","connection_id":1,"thread_id":"t","turn_id":"t","review_id":"t","target_item_id":"t","action":{"type":"mcp_tool_call","server":"s","tool_name":"x"},"status":"approved","started_at_ms":1,"completed_at_ms":2}"#;
        let mut fact: Fact = serde_json::from_str(line).unwrap();
        let before = fact.clone();
        let mut interner = Interner::default();
        fact.intern_ids(&mut interner);
        assert_eq!(fact, before);
        let mut ids = Vec::new();
        fact.for_each_id_mut(|id| ids.push(id.clone()));
        assert_eq!(ids.len(), 4);
        assert!(ids.iter().all(|id| Id::ptr_eq(id, &ids[0])));
        assert_eq!(interner.len(), 1);
    }
}
