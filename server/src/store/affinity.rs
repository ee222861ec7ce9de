//! Pins the writer thread to one CPU (Linux), so that sqlx's SQLite worker thread for the write
//! connection — spawned from the writer thread, so it inherits the mask — runs beside it.
//!
//! Every statement is a hand-off between those two threads. Apart, each hand-off wakes the other
//! CPU (a cross-CPU wake-up, costly on virtual machines); together, the writer yields its CPU to
//! the worker and gets it back with the answer. Failure to pin is harmless: it is only slower.

/// Restricts the calling thread to the CPU it is running on now.
#[cfg(target_os = "linux")]
pub fn pin_to_current_cpu() {
    use nix::sched::{sched_getcpu, sched_setaffinity, CpuSet};
    use nix::unistd::Pid;
    let pinned = sched_getcpu().and_then(|cpu| {
        let mut set = CpuSet::new();
        set.set(cpu)?;
        sched_setaffinity(Pid::from_raw(0), &set).map(|()| cpu)
    });
    match pinned {
        Ok(cpu) => tracing::debug!(cpu, "writer thread pinned"),
        Err(e) => tracing::debug!(error = %e, "could not pin the writer thread; it runs unpinned"),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn pin_to_current_cpu() {}
