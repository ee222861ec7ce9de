//! A tiny executor for the writer thread: polls one future, and while it waits, yields its CPU
//! for a moment before it parks the thread.
//!
//! Why: every SQL statement on a sqlx SQLite connection is a round trip to sqlx's worker thread,
//! and a create is several statements. On a tokio runtime each answer wakes the writer through
//! the reactor (an `eventfd` write, an `epoll` return, a context switch): measured 56 µs per
//! trivial statement, against 18 µs with this executor. A statement usually answers within
//! microseconds, so for up to [`SPIN`] the writer only yields (`sched_yield`, which lets the
//! worker run when both share a CPU — see `store::affinity`) and checks for the answer; longer
//! waits (an idle queue) park the thread, so an idle server uses no CPU.
//!
//! The caller enters a tokio runtime's context first, so that timers and `spawn_blocking` used
//! by the future (sqlx uses the latter to reconnect) are driven by that runtime.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long a waiting writer spins before it parks.
pub const SPIN: Duration = Duration::from_micros(200);

struct Signal {
    woken: AtomicBool,
    parked: AtomicBool,
    thread: Thread,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        // Unparking costs a system call; a spinning thread does not need it. A park that begins
        // after this check still returns: `parked` is set before the last look at `woken`.
        if self.parked.load(Ordering::SeqCst) {
            self.thread.unpark();
        }
    }
}

/// Runs `future` to completion on this thread.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let signal = Arc::new(Signal {
        woken: AtomicBool::new(false),
        parked: AtomicBool::new(false),
        thread: std::thread::current(),
    });
    let waker = Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        let start = Instant::now();
        while !signal.woken.swap(false, Ordering::Acquire) {
            if start.elapsed() < SPIN {
                std::thread::yield_now();
                continue;
            }
            signal.parked.store(true, Ordering::SeqCst);
            if !signal.woken.load(Ordering::SeqCst) {
                std::thread::park();
            }
            signal.parked.store(false, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_from_another_thread_while_spinning_and_while_parked() {
        for delay in [Duration::ZERO, Duration::from_millis(20)] {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let sender = std::thread::spawn(move || {
                std::thread::sleep(delay);
                tx.send(7).unwrap();
            });
            assert_eq!(block_on(rx).unwrap(), 7);
            sender.join().unwrap();
        }
    }

    #[test]
    fn many_short_waits_all_complete() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        let sender = std::thread::spawn(move || {
            for i in 0..10_000u32 {
                tx.blocking_send(i).unwrap();
            }
        });
        let sum = block_on(async {
            let mut sum = 0u64;
            while let Some(i) = rx.recv().await {
                sum += u64::from(i);
            }
            sum
        });
        sender.join().unwrap();
        assert_eq!(sum, (0..10_000u64).sum::<u64>());
    }
}
