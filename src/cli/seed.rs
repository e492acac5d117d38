//! Seeds of generated runs: printed first, replayable. A seed is a decimal `u64` (the bytes of a
//! proptest ChaCha seed, little-endian, as `tests/it/defects.rs` uses) or a hex string of up to
//! 64 digits, such as a git commit hash.

use std::hash::{BuildHasher, Hasher};

use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::CliError;

/// A parsed seed: as the user wrote it, and the RNG seed bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Seed {
    pub(super) text: String,
    bytes: [u8; 32],
}

impl Seed {
    /// Parses `--seed`.
    pub(super) fn parse(text: &str) -> Result<Seed, CliError> {
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
            return Err(CliError::Usage(format!(
                "invalid --seed {text}: a decimal seed must fit in an unsigned 64-bit integer (at most {}); write a hex seed with a 0x prefix",
                u64::MAX
            )));
        }
        let digits = text.strip_prefix("0x").unwrap_or(text);
        if digits.is_empty() || digits.len() > 64 || !digits.chars().all(|c| c.is_ascii_hexdigit())
        {
            return Err(CliError::Usage(format!(
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
    pub(super) fn random() -> Seed {
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
    pub(super) fn from_arg(arg: Option<&str>) -> Result<Seed, CliError> {
        arg.map_or_else(|| Ok(Seed::random()), Seed::parse)
    }

    /// A proptest runner drawing from this seed.
    pub(super) fn runner(&self, config: Config) -> TestRunner {
        TestRunner::new_with_rng(
            config,
            TestRng::from_seed(RngAlgorithm::ChaCha, &self.bytes),
        )
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
        let Err(CliError::Usage(message)) = Seed::parse("18446744073709551616") else {
            panic!("a decimal seed past u64::MAX must be refused");
        };
        assert!(message.contains("0x prefix"), "{message}");
        assert!(Seed::parse("0x18446744073709551616").is_ok());
    }
}
