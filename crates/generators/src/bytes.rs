//! The primitive readers of `unstructured`: numbers in a range, chances, options, lists, pool
//! strings and weighted picks from fuzzer bytes. Each has an answer for every input (an
//! exhausted input reads as zeros, the first alternative).

use arbitrary::{Error, Result, Unstructured};

use super::pools::Chance;

/// An index in `0..len`; 0 for an exhausted input or `len <= 1`.
pub(super) fn below(u: &mut Unstructured<'_>, len: usize) -> Result<usize> {
    between(u, 0, len.saturating_sub(1))
}

/// A value in `low..=high`; `low` for an exhausted input or an empty range.
pub(super) fn between<T>(u: &mut Unstructured<'_>, low: T, high: T) -> Result<T>
where
    T: arbitrary::unstructured::Int + PartialOrd,
{
    if low >= high {
        return Ok(low);
    }
    u.int_in_range(low..=high)
}

/// True with the given chance; false for an exhausted input.
pub(super) fn chance(u: &mut Unstructured<'_>, chance: Chance) -> Result<bool> {
    let denominator = chance.denominator.max(1);
    let drawn = between(u, 0, denominator - 1)?;
    Ok(drawn >= denominator - chance.numerator.min(denominator))
}

/// True with the given chance; *true* for an exhausted input (for what is normally present).
pub(super) fn likely(u: &mut Unstructured<'_>, chance: Chance) -> Result<bool> {
    let denominator = chance.denominator.max(1);
    let drawn = between(u, 0, denominator - 1)?;
    Ok(drawn < chance.numerator.min(denominator))
}

pub(super) fn option<T>(
    u: &mut Unstructured<'_>,
    present: Chance,
    value: impl FnOnce(&mut Unstructured<'_>) -> Result<T>,
) -> Result<Option<T>> {
    if chance(u, present)? {
        value(u).map(Some)
    } else {
        Ok(None)
    }
}

pub(super) fn list<T>(
    u: &mut Unstructured<'_>,
    min: usize,
    max: usize,
    mut element: impl FnMut(&mut Unstructured<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let count = between(u, min, max.max(min))?;
    (0..count).map(|_| element(u)).collect()
}

pub(super) fn string(u: &mut Unstructured<'_>, pool: &[&str]) -> Result<String> {
    Ok((*u.choose(pool)?).to_owned())
}

/// An index drawn by `weights`; 0 for an exhausted input.
pub(super) fn weighted_index(u: &mut Unstructured<'_>, weights: &[u32]) -> Result<usize> {
    let total: u32 = weights.iter().sum();
    let mut drawn = between(u, 0, total.saturating_sub(1))?;
    for (index, weight) in weights.iter().enumerate() {
        if drawn < *weight {
            return Ok(index);
        }
        drawn -= weight;
    }
    Ok(0)
}

/// A value of a weighted table of `pools`.
pub(super) fn weighted<T: Copy>(u: &mut Unstructured<'_>, table: &[(u32, T)]) -> Result<T> {
    let weights: Vec<u32> = table.iter().map(|(weight, _)| *weight).collect();
    let index = weighted_index(u, &weights)?;
    table
        .get(index)
        .map(|(_, value)| *value)
        .ok_or(Error::EmptyChoose)
}
