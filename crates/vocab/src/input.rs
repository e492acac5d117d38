//! Every input file the tool reads (a trace, a vector file, a shard's summary) is opened here:
//! only a regular file, opened without blocking, so a FIFO with no writer, `/dev/zero` or a
//! terminal is an error at once, naming the file, never a run that blocks or reads forever; and a
//! file read whole is read up to a limit.

use std::fs::File;
use std::io::{self, Read as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

/// Opens `path` for reading if it is a regular file. It is opened non-blocking (opening a FIFO
/// would otherwise wait for a writer), and checked again once open.
pub fn open(path: &Path) -> io::Result<File> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
}

fn not_regular() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "not a regular file (a FIFO, device or socket is not read)",
    )
}

/// The bytes of the regular file `path`, if it has at most `max_bytes`; a larger one is refused
/// without reading past the limit.
pub fn read_bounded(path: &Path, max_bytes: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open(path)?
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "larger than {max_bytes} bytes (the file limit; raise it with --max-file-bytes)"
            ),
        ));
    }
    Ok(bytes)
}
