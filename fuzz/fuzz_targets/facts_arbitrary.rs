//! Bytes → raw `Vec<Fact>` and small limits straight from `arbitrary` (incoherent ids, arbitrary
//! strings, extreme numbers) → model vs reducer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| review_spec::fuzzing::facts_arbitrary(data));
