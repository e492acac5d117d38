//! Subject processes each in a process group of their own, killed as a whole: a subject's
//! grandchildren (a shell's children, a helper it forks) die with it, on a timeout, an error, at
//! the end of the run, and when the tool itself is interrupted or terminated.
//!
//! Every live group is in a registry ([`LIVE_GROUPS`]) that the handler of SIGINT and SIGTERM
//! ([`kill_subjects_on_signals`]) reads: it kills every group, then exits with 128 + the signal's
//! number (130 for SIGINT, 143 for SIGTERM), as a shell reports a process killed by it. It also
//! removes the temporary files being written (`crate::regression::write_atomically`), which the
//! exit would leave behind.

use std::collections::BTreeSet;
use std::io::{self, Write as _};
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// The process group ids of the live subject processes (each group's id is its leader's pid).
static LIVE_GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

fn live_groups() -> MutexGuard<'static, BTreeSet<i32>> {
    // The set stays consistent whatever panicked while holding it.
    LIVE_GROUPS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A child process that leads its own process group, registered while it may be alive; dropping
/// it kills the whole group.
pub(super) struct Group {
    pub(super) child: Child,
    /// The group's id (the child's pid); None once the group is killed.
    id: Option<i32>,
}

impl Group {
    /// Spawns `command` as the leader of a new process group and registers the group. The
    /// registry is locked from before the spawn until the group is in it, so a signal handler
    /// that kills every registered group cannot miss one being started.
    pub(super) fn spawn(command: &mut Command) -> io::Result<Group> {
        let mut live = live_groups();
        let mut child = command.process_group(0).spawn()?;
        let Ok(id) = i32::try_from(child.id()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("a process id out of range"));
        };
        live.insert(id);
        Ok(Group {
            child,
            id: Some(id),
        })
    }

    /// Kills every process of the group (SIGKILL), reaps the child and forgets the group. The
    /// group is killed before the child is reaped, so its id cannot have been reused by then
    /// (unless the child was already reaped, by `try_wait`, and the group is empty).
    pub(super) fn kill(&mut self) {
        let Some(id) = self.id.take() else {
            return;
        };
        kill_group(id);
        let _ = self.child.wait();
        live_groups().remove(&id);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends SIGKILL to every process of group `id`; a group already gone is no error.
fn kill_group(id: i32) {
    let _ = killpg(Pid::from_raw(id), Signal::SIGKILL);
}

fn kill_all(live: &BTreeSet<i32>) {
    for &id in live {
        kill_group(id);
    }
}

/// Kills every live subject process group, for a program about to exit without unwinding
/// (`std::process::exit` runs no destructor). Returns how many groups there were.
pub fn kill_all_subjects() -> usize {
    let live = live_groups();
    kill_all(&live);
    live.len()
}

/// Kills every live subject process group when the tool gets SIGINT or SIGTERM, then exits with
/// 130 or 143. Call it once, at the start of the program: it handles the signals on a thread of
/// its own. If the handler cannot be installed, says so on stderr and leaves the default action
/// (the tool dies; its subjects may outlive it).
pub fn kill_subjects_on_signals() {
    let mut signals = match Signals::new([SIGINT, SIGTERM]) {
        Ok(signals) => signals,
        Err(error) => {
            let _ = writeln!(
                io::stderr(),
                "review-spec: warning: cannot handle SIGINT and SIGTERM: {error}"
            );
            return;
        }
    };
    thread::spawn(move || {
        let Some(signal) = signals.forever().next() else {
            return;
        };
        // Held until the process exits: no group can be started after this, and no temporary
        // file made (`exit` runs no destructor: the files being written are removed here).
        let live = live_groups();
        kill_all(&live);
        let _temporary_files = crate::regression::remove_temporary_files();
        let name = if signal == SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        };
        // Ignoring a closed stderr: the exit must come (eprintln! would panic the thread).
        let _ = writeln!(
            io::stderr(),
            "review-spec: {name}: killed {} subject process group{}; exiting",
            live.len(),
            if live.len() == 1 { "" } else { "s" }
        );
        std::process::exit(128 + signal);
    });
}
