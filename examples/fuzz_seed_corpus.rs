//! Writes the fuzz seed corpus and the trace dictionary, reproducibly:
//!
//! ```sh
//! cargo run --example fuzz_seed_corpus                # into fuzz/corpus/<target>/ and fuzz/dict/
//! cargo run --example fuzz_seed_corpus -- --out DIR   # corpus into DIR/<target>/ instead
//! ```
//!
//! Seeds are every conformance vector case as a JSONL trace (`trace_json`), and fixed
//! pseudo-random inputs for the byte-driven targets (`review_spec::fuzzing::seed_corpus`). Seed
//! files are (over)written by name; inputs the fuzzer added to the corpus are left alone.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use review_spec::fuzzing::{Target, seed_corpus, trace_json_dictionary};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fuzz_seed_corpus: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = root.join("fuzz/corpus");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => {
                out = PathBuf::from(args.next().ok_or("--out needs a directory")?);
            }
            other => return Err(format!("unknown argument {other:?}; usage: [--out DIR]")),
        }
    }
    let seeds = seed_corpus(&root.join("spec/vectors")).map_err(|error| error.to_string())?;
    for target in Target::ALL {
        let dir = out.join(target.name());
        std::fs::create_dir_all(&dir)
            .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
        let mine: Vec<_> = seeds.iter().filter(|seed| seed.target == target).collect();
        for seed in &mine {
            let path = dir.join(&seed.name);
            std::fs::write(&path, &seed.bytes)
                .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        }
        println!("{}: {} seeds in {}", target, mine.len(), dir.display());
    }
    let dict = root.join("fuzz/dict/trace_json.dict");
    std::fs::create_dir_all(root.join("fuzz/dict"))
        .and_then(|()| std::fs::write(&dict, trace_json_dictionary()))
        .map_err(|error| format!("cannot write {}: {error}", dict.display()))?;
    println!("dictionary: {}", dict.display());
    Ok(())
}
