//! Seeds of generated runs: printed first, replayable. A seed is a decimal `u64` (the bytes of a
//! proptest ChaCha seed, little-endian, as `tests/it/defects.rs` uses) or a hex string of up to
//! 64 digits, such as a git commit hash.
//!
//! A run's cases are drawn from per-case seeds ([`CaseSeeds`]): case `i`'s seed is a function of
//! the run's seed and `i` alone, so any worker can draw any case, and `--jobs` and `--shard`
//! change nothing about which cases a run holds.

use std::hash::{BuildHasher, Hasher};

use proptest::arbitrary::any;
use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A seed that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SeedError(String);

/// A parsed seed: as the user wrote it, and the RNG seed bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seed {
    /// The seed as written (trimmed); printed in replay commands.
    pub text: String,
    bytes: [u8; 32],
}

impl Seed {
    /// Parses `--seed`.
    pub fn parse(text: &str) -> Result<Seed, SeedError> {
        let text = text.trim();
        let mut bytes = [0u8; 32];
        if let Ok(number) = text.parse::<u64>() {
            bytes[..8].copy_from_slice(&number.to_le_bytes());
            return Ok(Seed {
                text: text.to_owned(),
                bytes,
            });
        }
        // Decimal digits that do not fit a u64 are a mistake, not a hex seed: `0x` says hex.
        if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
            return Err(SeedError(format!(
                "invalid --seed {text}: a decimal seed must fit in an unsigned 64-bit integer (at most {}); write a hex seed with a 0x prefix",
                u64::MAX
            )));
        }
        let digits = text.strip_prefix("0x").unwrap_or(text);
        if digits.is_empty() || digits.len() > 64 || !digits.chars().all(|c| c.is_ascii_hexdigit())
        {
            return Err(SeedError(format!(
                "invalid --seed {text:?}: expected a decimal u64 or up to 64 hex digits (a git commit hash works)"
            )));
        }
        for (index, pair) in digits.as_bytes().chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).unwrap_or("0");
            // Each chunk is one or two hex digits, checked above.
            let byte = u8::from_str_radix(pair, 16).unwrap_or(0);
            if let Some(slot) = bytes.get_mut(index) {
                *slot = byte;
            }
        }
        Ok(Seed {
            text: text.to_owned(),
            bytes,
        })
    }

    /// A fresh random seed (a decimal u64), from the standard library's per-process random keys.
    pub fn random() -> Seed {
        let number = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&number.to_le_bytes());
        Seed {
            text: number.to_string(),
            bytes,
        }
    }

    /// `--seed` when given, else a random seed.
    pub fn from_arg(arg: Option<&str>) -> Result<Seed, SeedError> {
        arg.map_or_else(|| Ok(Seed::random()), Seed::parse)
    }

    /// A proptest runner drawing from this seed.
    pub fn runner(&self, config: Config) -> TestRunner {
        TestRunner::new_with_rng(
            config,
            TestRng::from_seed(RngAlgorithm::ChaCha, &self.bytes),
        )
    }
}

/// The per-case seeds of a run, in case order, from case `first` on: case `i`'s seed is drawn
/// from an RNG forked off case `i - 1`'s, as proptest's runner forks one per case, so a seed
/// replays the cases it always did. Skipping to case `first` costs one fork and one draw per case
/// skipped (well under a microsecond each), never a generated case.
pub struct CaseSeeds {
    config: Config,
    runner: TestRunner,
    next: u64,
}

impl CaseSeeds {
    /// The seeds of `seed`'s run from case `first` on.
    pub fn new(seed: &Seed, first: u64) -> CaseSeeds {
        let config = Config {
            failure_persistence: None,
            ..Config::default()
        };
        let runner = seed.runner(config.clone());
        let mut seeds = CaseSeeds {
            config,
            runner,
            next: 0,
        };
        for _ in 0..first {
            seeds.draw();
        }
        seeds
    }

    /// The index of the case [`Iterator::next`] gives next.
    pub fn next_index(&self) -> u64 {
        self.next
    }

    /// The next case's index and seed.
    fn draw(&mut self) -> (u64, u64) {
        self.runner = TestRunner::new_with_rng(self.config.clone(), self.runner.new_rng());
        // `any::<u64>()` never rejects; its tree's value is the draw.
        let seed = any::<u64>()
            .new_tree(&mut self.runner)
            .map_or(0, |tree| tree.current());
        let index = self.next;
        self.next += 1;
        (index, seed)
    }
}

impl Iterator for CaseSeeds {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        Some(self.draw())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_and_hex_seeds_parse_and_garbage_does_not() {
        let decimal = Seed::parse("42").map(|seed| seed.bytes[0]);
        assert!(matches!(decimal, Ok(42)));
        let hash = Seed::parse("a858ae5").map(|seed| seed.bytes[..4].to_vec());
        assert!(matches!(hash.as_deref(), Ok([0xa8, 0x58, 0xae, 0x05])));
        assert!(Seed::parse("not a seed").is_err());
        assert!(Seed::parse(&"f".repeat(65)).is_err());
    }

    #[test]
    fn a_decimal_seed_too_big_for_u64_is_refused_not_read_as_hex() {
        let max = Seed::parse("18446744073709551615").map(|seed| seed.bytes[..8].to_vec());
        assert_eq!(max.ok().as_deref(), Some(&[0xff; 8][..]));
        let Err(SeedError(message)) = Seed::parse("18446744073709551616") else {
            panic!("a decimal seed past u64::MAX must be refused");
        };
        assert!(message.contains("0x prefix"), "{message}");
        assert!(Seed::parse("0x18446744073709551616").is_ok());
    }

    #[test]
    fn a_case_seed_depends_on_the_run_seed_and_the_index_alone() {
        let Ok(seed) = Seed::parse("7") else {
            panic!("7 parses");
        };
        let all: Vec<(u64, u64)> = CaseSeeds::new(&seed, 0).take(10).collect();
        let from_four: Vec<(u64, u64)> = CaseSeeds::new(&seed, 4).take(6).collect();
        assert_eq!(&all[4..], &from_four[..]);
        assert_eq!(all[3].0, 3);
        let other =
            Seed::parse("8").map(|seed| CaseSeeds::new(&seed, 0).take(10).collect::<Vec<_>>());
        assert_ne!(other.ok(), Some(all));
    }
}
