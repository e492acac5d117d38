//! Profiles: which behaviour a reduction follows where this spec departs from upstream.
//!
//! `spec/rules.md` lists every place where the spec deliberately differs from the upstream
//! reducer (the Codex app-server's `codex-rs/analytics`) as a **departure** with an ID
//! (`UP-DEDUP-1` departs on rule `DEDUP-1`). A [`Profile`] says, for each departure, which side a
//! reduction follows: the `spec` base follows the spec's rules everywhere, the `upstream` base
//! follows upstream's behaviour everywhere, and `depart` switches single departures to the other
//! side of the base (`upstream` departing on `DEDUP-1` is upstream's behaviour except that
//! guardian completions are deduplicated as DEDUP-1 says). That is how a team whose reducer is
//! upstream's adopts the stricter rules one at a time.
//!
//! A profile is vocabulary, like facts and outputs: it travels in trace headers, vector files,
//! the subject protocol and every report, and the model and the reducer each read it in their own
//! way. Which facts upstream can express at all ([`upstream_cannot_express`]) is vocabulary too:
//! the generators draw only those under the `upstream` base, and vectors that need others are
//! marked as not applying to it.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fact::{Fact, ItemKind, ItemStatus};

/// A place where the spec departs from upstream, named after the rule it departs on.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum Departure {
    /// UP-CAP-1: upstream's tables are unbounded; nothing is ever evicted.
    #[serde(rename = "CAP-1")]
    Cap1,
    /// UP-CTX-2: upstream ignores a binding from a connection that never initialized.
    #[serde(rename = "CTX-2")]
    Ctx2,
    /// UP-DEC-4: upstream records nothing for a malformed response to a command or file-change
    /// request; the review stays pending.
    #[serde(rename = "DEC-4")]
    Dec4,
    /// UP-DEDUP-1: upstream emits and counts every terminal guardian completion.
    #[serde(rename = "DEDUP-1")]
    Dedup1,
    /// UP-ITEM-4: upstream maps every image generation status but failed to completed.
    #[serde(rename = "ITEM-4")]
    Item4,
    /// UP-ITEM-5: upstream's in-progress completion consumes the start and the summary.
    #[serde(rename = "ITEM-5")]
    Item5,
    /// UP-ITEM-6: upstream's last item start wins.
    #[serde(rename = "ITEM-6")]
    Item6,
    /// UP-LIFE-3: upstream's conflicting request replaces the pending one.
    #[serde(rename = "LIFE-3")]
    Life3,
    /// UP-LIFE-5: upstream closes a review with a response of any kind.
    #[serde(rename = "LIFE-5")]
    Life5,
    /// UP-SUM-6: upstream keeps the summary when the tool-item event is dropped.
    #[serde(rename = "SUM-6")]
    Sum6,
    /// UP-TIME-2: upstream's completion with a negative timestamp consumes the item's start.
    #[serde(rename = "TIME-2")]
    Time2,
    /// UP-TURN-1: upstream releases nothing at a turn's end.
    #[serde(rename = "TURN-1")]
    Turn1,
}

impl Departure {
    /// Every departure, in ID order.
    pub const ALL: [Departure; 12] = [
        Departure::Cap1,
        Departure::Ctx2,
        Departure::Dec4,
        Departure::Dedup1,
        Departure::Item4,
        Departure::Item5,
        Departure::Item6,
        Departure::Life3,
        Departure::Life5,
        Departure::Sum6,
        Departure::Time2,
        Departure::Turn1,
    ];

    /// The departure's ID in `spec/rules.md` (`UP-DEDUP-1`).
    pub fn id(self) -> &'static str {
        match self {
            Departure::Cap1 => "UP-CAP-1",
            Departure::Ctx2 => "UP-CTX-2",
            Departure::Dec4 => "UP-DEC-4",
            Departure::Dedup1 => "UP-DEDUP-1",
            Departure::Item4 => "UP-ITEM-4",
            Departure::Item5 => "UP-ITEM-5",
            Departure::Item6 => "UP-ITEM-6",
            Departure::Life3 => "UP-LIFE-3",
            Departure::Life5 => "UP-LIFE-5",
            Departure::Sum6 => "UP-SUM-6",
            Departure::Time2 => "UP-TIME-2",
            Departure::Turn1 => "UP-TURN-1",
        }
    }

    /// The rule the spec departs on (`DEDUP-1`).
    pub fn rule(self) -> &'static str {
        &self.id()[3..]
    }

    /// The spec rules that cannot apply at all where a reduction follows upstream on this
    /// departure (for DEDUP-1 also DEDUP-2: nothing is remembered to release). CTX-2, ITEM-4,
    /// SUM-6 and TIME-2 keep branches that still apply, so they are not listed.
    pub fn replaces(self) -> &'static [&'static str] {
        match self {
            Departure::Dedup1 => &["DEDUP-1", "DEDUP-2"],
            Departure::Dec4 => &["DEC-4"],
            Departure::Item5 => &["ITEM-5"],
            Departure::Item6 => &["ITEM-6"],
            Departure::Life3 => &["LIFE-3"],
            Departure::Turn1 => &["TURN-1"],
            // An unbounded table never evicts; a response of any kind closes.
            Departure::Cap1 => &["CAP-1"],
            Departure::Life5 => &["LIFE-5"],
            Departure::Ctx2 | Departure::Item4 | Departure::Sum6 | Departure::Time2 => &[],
        }
    }

    /// Reads a departure by its rule (`DEDUP-1`), spelled exactly as in a trace header or a
    /// vector file: one spelling everywhere.
    pub fn parse(text: &str) -> Result<Departure, ProfileError> {
        Departure::ALL
            .into_iter()
            .find(|departure| departure.rule() == text)
            .ok_or_else(|| ProfileError::UnknownDeparture {
                name: text.to_owned(),
            })
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Departure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Which side a profile follows by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// The rules of `spec/rules.md`.
    #[default]
    Spec,
    /// Upstream's behaviour wherever the spec departs from it.
    Upstream,
}

impl Base {
    /// The base as the CLI and the wire spell it: `spec` or `upstream`.
    pub fn name(self) -> &'static str {
        match self {
            Base::Spec => "spec",
            Base::Upstream => "upstream",
        }
    }

    /// Reads `spec` or `upstream`.
    pub fn parse(text: &str) -> Result<Base, ProfileError> {
        match text.trim() {
            "spec" => Ok(Base::Spec),
            "upstream" => Ok(Base::Upstream),
            other => Err(ProfileError::UnknownBase(other.to_owned())),
        }
    }
}

/// What a reduction follows: a base, and the departures on which it takes the other side.
///
/// On the wire: `{"base": "upstream", "depart": ["DEDUP-1"]}`; `depart` may be omitted.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Profile {
    /// The side the profile follows on every departure not switched.
    pub base: Base,
    /// The departures switched to the other side of `base`, as a bit set.
    depart: u16,
}

impl Profile {
    /// The command-line flags that select this profile, with a leading space (` --profile
    /// upstream --depart DEDUP-1`); empty for `spec`, the default.
    pub fn flags(&self) -> String {
        if *self == Profile::SPEC {
            String::new()
        } else {
            format!(" --profile {self}")
        }
    }

    /// The rules of the spec, everywhere.
    pub const SPEC: Profile = Profile {
        base: Base::Spec,
        depart: 0,
    };

    /// Upstream's behaviour wherever the spec departs from it.
    pub const UPSTREAM: Profile = Profile {
        base: Base::Upstream,
        depart: 0,
    };

    /// A base with no departures switched.
    pub fn base(base: Base) -> Profile {
        Profile { base, depart: 0 }
    }

    /// This profile with `departure` switched to the other side of the base.
    pub fn departing(mut self, departure: Departure) -> Profile {
        self.depart |= departure.bit();
        self
    }

    /// This profile with `departure` on the other side from where it is now: switched against
    /// the base if it was not, back to the base's side if it was.
    pub fn switching(mut self, departure: Departure) -> Profile {
        self.depart ^= departure.bit();
        self
    }

    /// Whether the reduction follows upstream's behaviour on this departure (else the spec rule).
    pub fn follows_upstream(&self, departure: Departure) -> bool {
        let switched = self.depart & departure.bit() != 0;
        (self.base == Base::Upstream) != switched
    }

    /// The departures switched against the base, in ID order.
    pub fn departures(&self) -> Vec<Departure> {
        Departure::ALL
            .into_iter()
            .filter(|departure| self.depart & departure.bit() != 0)
            .collect()
    }

    /// Whether this is one of the two base profiles, with nothing switched.
    pub fn is_base(&self) -> bool {
        self.depart == 0
    }

    /// Builds a profile from a base name and departures, as the CLI takes them.
    pub fn parse(base: &str, depart: &[String]) -> Result<Profile, ProfileError> {
        let mut profile = Profile::base(Base::parse(base)?);
        for text in depart {
            profile = profile.departing(Departure::parse(text)?);
        }
        Ok(profile)
    }
}

impl fmt::Display for Profile {
    /// `spec`, `upstream`, or `upstream --depart DEDUP-1 --depart LIFE-3`: the CLI spelling.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base.name())?;
        for departure in self.departures() {
            write!(f, " --depart {}", departure.rule())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Profile({self})")
    }
}

/// A profile that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// A base other than `spec` or `upstream`; holds the text as given.
    #[error("unknown profile {0:?}: expected `spec` or `upstream`")]
    UnknownBase(String),
    /// A departure that is not one of [`Departure::ALL`], spelled by its rule ID.
    #[error(
        "unknown departure {name:?}: expected one of {}, spelled so",
        departure_list()
    )]
    UnknownDeparture {
        /// The departure as given.
        name: String,
    },
}

fn departure_list() -> String {
    Departure::ALL.map(Departure::rule).join(", ")
}

/// The wire shape of a profile.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "Profile")]
struct ProfileWire {
    /// `spec` (default) or `upstream`.
    #[serde(default)]
    base: Base,
    /// Rules on which to take the other side of the base (`DEDUP-1`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    depart: Vec<Departure>,
}

impl Serialize for Profile {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ProfileWire {
            base: self.base,
            depart: self.departures(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Profile {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = ProfileWire::deserialize(deserializer)?;
        let mut profile = Profile::base(wire.base);
        for departure in wire.depart {
            profile = profile.departing(departure);
        }
        Ok(profile)
    }
}

impl JsonSchema for Profile {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Profile".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        ProfileWire::json_schema(generator)
    }
}

/// Why upstream cannot express a fact, or None when it can. Upstream's item statuses are typed
/// per item kind (web search has none; MCP, dynamic and collab calls have no declined; image
/// generation's is a free string, so any status is expressible, UP-ITEM-4), and its response and
/// abort facts carry unsigned completion times.
pub fn upstream_cannot_express(fact: &Fact) -> Option<&'static str> {
    match fact {
        Fact::ItemCompleted { kind, status, .. } => item_status_inexpressible(*kind, *status),
        _ if fact.is_closing() && fact.timestamp_ms().is_some_and(|ms| ms < 0) => {
            Some("upstream's response and abort facts carry an unsigned completed_at_ms")
        }
        _ => None,
    }
}

/// The item statuses upstream's item types can carry, by kind.
fn item_status_inexpressible(kind: ItemKind, status: ItemStatus) -> Option<&'static str> {
    match (kind, status) {
        (ItemKind::CommandExecution | ItemKind::FileChange, _) => None,
        (
            ItemKind::McpToolCall | ItemKind::DynamicToolCall | ItemKind::CollabAgentToolCall,
            ItemStatus::Declined,
        ) => Some("upstream's MCP, dynamic and collab tool calls have no declined status"),
        (ItemKind::WebSearch, ItemStatus::Completed) => None,
        (ItemKind::WebSearch, _) => {
            Some("upstream's web search items have no status: a completion is always completed")
        }
        _ => None,
    }
}

/// The first fact of `facts` upstream cannot express, with its index and why.
pub fn first_inexpressible(facts: &[Fact]) -> Option<(usize, &'static str)> {
    facts
        .iter()
        .enumerate()
        .find_map(|(index, fact)| upstream_cannot_express(fact).map(|why| (index, why)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departures_switch_against_the_base() {
        let profile = Profile::UPSTREAM.departing(Departure::Dedup1);
        assert!(!profile.follows_upstream(Departure::Dedup1));
        assert!(profile.follows_upstream(Departure::Life3));
        let profile = Profile::SPEC.departing(Departure::Turn1);
        assert!(profile.follows_upstream(Departure::Turn1));
        assert!(!profile.follows_upstream(Departure::Cap1));
        // Switching takes the other side from where the profile is, either way.
        assert!(
            !profile
                .switching(Departure::Turn1)
                .follows_upstream(Departure::Turn1)
        );
        assert_eq!(profile.switching(Departure::Turn1), Profile::SPEC);
        assert!(
            profile
                .switching(Departure::Cap1)
                .follows_upstream(Departure::Cap1)
        );
        for departure in Departure::ALL {
            assert!(Profile::UPSTREAM.follows_upstream(departure));
            assert!(!Profile::SPEC.follows_upstream(departure));
        }
    }

    #[test]
    fn profiles_round_trip_on_the_wire_and_in_cli_spelling() {
        let profile = Profile::parse("upstream", &["DEDUP-1".into(), "LIFE-3".into()]).unwrap();
        let json = serde_json::to_string(&profile).unwrap();
        assert_eq!(json, r#"{"base":"upstream","depart":["DEDUP-1","LIFE-3"]}"#);
        assert_eq!(serde_json::from_str::<Profile>(&json).unwrap(), profile);
        assert_eq!(
            profile.to_string(),
            "upstream --depart DEDUP-1 --depart LIFE-3"
        );
        assert_eq!(
            serde_json::from_str::<Profile>("{}").unwrap(),
            Profile::SPEC
        );
        assert!(Profile::parse("nightly", &[]).is_err());
        assert!(Profile::parse("spec", &["ITEM-9".into()]).is_err());
        // One spelling, as in a trace header: not lower case, not the departure's own ID.
        assert!(Profile::parse("spec", &["dedup-1".into()]).is_err());
        assert!(Profile::parse("spec", &["UP-DEDUP-1".into()]).is_err());
        assert!(serde_json::from_str::<Profile>(r#"{"depart": ["UP-DEDUP-1"]}"#).is_err());
    }

    #[test]
    fn departure_ids_name_their_rules() {
        for (index, departure) in Departure::ALL.into_iter().enumerate() {
            assert_eq!(departure as usize, index, "ALL is in declaration order");
            assert_eq!(departure.id(), format!("UP-{}", departure.rule()));
            assert_eq!(Departure::parse(departure.rule()), Ok(departure));
        }
    }
}
