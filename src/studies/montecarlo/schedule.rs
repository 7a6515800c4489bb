//! Running fixed chunks of samples on a thread pool and merging them in index order, without a
//! barrier.
//!
//! Samples `0..samples` are cut into chunks of `chunk` consecutive indices, a cut fixed by the
//! indices alone. Workers take the next chunk from a shared atomic counter (so a thread that
//! finishes early simply takes more chunks), run it, and post its accumulator on a shared
//! [`Board`]. The coordinator (the calling thread) takes the posted chunks **in index order**,
//! as they become contiguous (chunk 0, 1, 2, …; a chunk finished beyond a gap waits in the
//! board's [`InOrder`] buffer), and merges each into the running total: the floating-point merge
//! order is that of a sequential run whatever the thread count and the schedule.
//!
//! Every `checkpoint_every` samples of merged prefix (and at the end) the coordinator asks
//! `checkpoint(total, done)` whether to stop. The answer depends only on the prefix, so a study
//! stops after the same number of samples on any number of threads. On a stop, workers take no
//! more chunks, and chunks already run beyond the stop point are dropped unmerged.
//!
//! Memory is bounded by the look-ahead `window`: a worker may run chunk `c` only while
//! `c < taken + window`, where `taken` counts the chunks the coordinator has taken for merging;
//! a worker that would pass it waits on a condition variable until the merge point moves. So at
//! most `window` accumulators wait in the buffer (plus one in the hands of each worker). Waiting
//! happens only when one chunk takes longer than all the chunks the other threads can run in the
//! window meanwhile.
//!
//! A panic in a worker or in `checkpoint` stops the others and is re-raised by the pool's scope
//! once every worker has returned; nobody is left waiting.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// How a study is cut and checked: all in samples except `window`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan {
    /// Samples in the study (the most, with early stopping).
    pub samples: u64,
    /// Samples per chunk.
    pub chunk: u64,
    /// Samples of merged prefix between checkpoints (a multiple of `chunk`).
    pub checkpoint_every: u64,
    /// Chunks a worker may run beyond the coordinator's merge point.
    pub window: u64,
}

impl Plan {
    fn chunks(&self) -> u64 {
        self.samples.div_ceil(self.chunk)
    }

    fn range(&self, c: u64) -> Range<u64> {
        c * self.chunk..((c + 1) * self.chunk).min(self.samples)
    }
}

/// Finished chunks that wait for the chunks before them: [`InOrder::pop`] gives them back in
/// index order, one at a time, and nothing while the next one is missing.
#[derive(Debug)]
pub(super) struct InOrder<A> {
    /// The index of the next chunk to give back (= chunks given back so far).
    next: u64,
    /// Finished chunks at or beyond `next`.
    waiting: BTreeMap<u64, A>,
}

impl<A> InOrder<A> {
    pub(super) fn new() -> InOrder<A> {
        InOrder {
            next: 0,
            waiting: BTreeMap::new(),
        }
    }

    /// Chunks given back so far: the merge point.
    pub(super) fn next(&self) -> u64 {
        self.next
    }

    /// Files finished chunk `c` (each index once, at or beyond the merge point).
    pub(super) fn insert(&mut self, c: u64, a: A) {
        debug_assert!(c >= self.next, "chunk {c} is behind the merge point");
        let old = self.waiting.insert(c, a);
        debug_assert!(old.is_none(), "chunk {c} filed twice");
    }

    /// The next chunk in index order, if it has finished.
    pub(super) fn pop(&mut self) -> Option<A> {
        let a = self.waiting.remove(&self.next)?;
        self.next += 1;
        Some(a)
    }

    /// Chunks finished beyond a gap.
    pub(super) fn len(&self) -> usize {
        self.waiting.len()
    }
}

/// What the workers and the coordinator share, behind one lock.
struct Slots<A> {
    /// Finished chunks not yet taken by the coordinator.
    done: InOrder<A>,
    /// No more chunks should start: a stop was decided, the study is over, or a thread panicked.
    stopped: bool,
    /// A worker panicked: the coordinator must not wait for its chunk.
    failed: bool,
}

/// The shared state of one run.
struct Board<A> {
    plan: Plan,
    /// The next chunk to hand out.
    next: AtomicU64,
    slots: Mutex<Slots<A>>,
    /// Signalled when a chunk is posted or a worker fails (the coordinator waits on it).
    posted: Condvar,
    /// Signalled when the merge point moves or the run stops (workers ahead wait on it).
    room: Condvar,
}

impl<A> Board<A> {
    fn new(plan: Plan) -> Board<A> {
        Board {
            plan,
            next: AtomicU64::new(0),
            slots: Mutex::new(Slots {
                done: InOrder::new(),
                stopped: false,
                failed: false,
            }),
            posted: Condvar::new(),
            room: Condvar::new(),
        }
    }

    /// The lock; a panic elsewhere never holds it while the data is inconsistent (every update
    /// is a single field or map operation), so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, Slots<A>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops the run: no chunk starts after this, and waiting workers wake up and leave.
    fn stop(&self) {
        self.lock().stopped = true;
        self.room.notify_all();
    }

    /// A worker: takes chunks until none is left or the run stops.
    fn work(&self, run: impl Fn(Range<u64>) -> A) {
        let _alarm = FailOnPanic(self);
        let chunks = self.plan.chunks();
        loop {
            let c = self.next.fetch_add(1, Ordering::Relaxed);
            if c >= chunks || !self.wait_for_room(c) {
                return;
            }
            let a = run(self.plan.range(c));
            let mut slots = self.lock();
            if slots.stopped {
                return;
            }
            slots.done.insert(c, a);
            debug_assert!(slots.done.len() as u64 <= self.plan.window);
            drop(slots);
            self.posted.notify_one();
        }
    }

    /// Waits until chunk `c` is inside the look-ahead window; false if the run stopped.
    fn wait_for_room(&self, c: u64) -> bool {
        let mut slots = self.lock();
        while !slots.stopped && c >= slots.done.next() + self.plan.window {
            slots = self
                .room
                .wait(slots)
                .unwrap_or_else(PoisonError::into_inner);
        }
        !slots.stopped
    }

    /// Moves every chunk that is next in order into `batch`, waiting until there is at least
    /// one; false if a worker failed.
    fn take_in_order(&self, batch: &mut Vec<A>) -> bool {
        let mut slots = self.lock();
        loop {
            while let Some(a) = slots.done.pop() {
                batch.push(a);
            }
            if !batch.is_empty() {
                drop(slots);
                // The merge point moved: workers beyond the window may go on.
                self.room.notify_all();
                return true;
            }
            if slots.failed {
                return false;
            }
            slots = self
                .posted
                .wait(slots)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The coordinator: merges chunks in index order and asks `checkpoint` at every checkpoint.
    fn coordinate<M, S>(&self, merge: M, mut checkpoint: S) -> (A, bool)
    where
        A: Default,
        M: Fn(&mut A, &A),
        S: FnMut(&A, u64) -> bool,
    {
        // Whatever way this returns (a stop, the end, a panic in `checkpoint`), the workers
        // must not start or wait for more chunks.
        let _stop = StopOnDrop(self);
        let plan = self.plan;
        let (mut total, mut merged) = (A::default(), 0u64);
        let mut batch = Vec::new();
        while merged < plan.chunks() {
            if !self.take_in_order(&mut batch) {
                // A worker panicked; the pool's scope re-raises it.
                return (total, false);
            }
            for a in batch.drain(..) {
                merge(&mut total, &a);
                merged += 1;
                let done = plan.range(merged - 1).end;
                let at_checkpoint = done % plan.checkpoint_every == 0 || done == plan.samples;
                if at_checkpoint && checkpoint(&total, done) && done < plan.samples {
                    return (total, true);
                }
            }
        }
        (total, false)
    }
}

/// Marks the run failed if the worker holding it unwinds, so the coordinator does not wait for
/// a chunk that will never come.
struct FailOnPanic<'a, A>(&'a Board<A>);

impl<A> Drop for FailOnPanic<'_, A> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut slots = self.0.lock();
            slots.failed = true;
            slots.stopped = true;
            drop(slots);
            self.0.posted.notify_all();
            self.0.room.notify_all();
        }
    }
}

/// Stops the run when the coordinator leaves, normally or by a panic.
struct StopOnDrop<'a, A>(&'a Board<A>);

impl<A> Drop for StopOnDrop<'_, A> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Runs `plan.samples` samples in chunks on every thread of `pool`: `run(range)` runs one chunk
/// sequentially, `merge` folds chunks into the total in index order on the calling thread, and
/// `checkpoint(total, done)` is asked every `plan.checkpoint_every` merged samples and at the
/// end; `true` stops the run there. Returns the total and whether it stopped before the end.
pub(super) fn run_chunks<A, C, M, S>(
    pool: &rayon::ThreadPool,
    plan: Plan,
    run: C,
    merge: M,
    checkpoint: S,
) -> (A, bool)
where
    A: Send + Default,
    C: Fn(Range<u64>) -> A + Sync,
    M: Fn(&mut A, &A),
    S: FnMut(&A, u64) -> bool,
{
    debug_assert!(plan.chunk > 0 && plan.window > 0);
    debug_assert_eq!(plan.checkpoint_every % plan.chunk, 0);
    let board = Board::new(plan);
    let workers = pool.current_num_threads() as u64;
    // In place: the coordinator runs on the calling thread, not on a pool thread, so a
    // one-thread pool still has its worker.
    pool.in_place_scope(|scope| {
        for _ in 0..workers.min(plan.chunks()) {
            let (board, run) = (&board, &run);
            scope.spawn(move |_| board.work(run));
        }
        board.coordinate(merge, checkpoint)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    /// A run whose accumulator is the list of sample indices, in merge order.
    fn indices(threads: usize, plan: Plan, stop_at: Option<u64>) -> (Vec<u64>, bool, Vec<u64>) {
        let mut checkpoints = Vec::new();
        let (total, early) = run_chunks(
            &pool(threads),
            plan,
            |r: Range<u64>| {
                // Later chunks finish first: the earliest are the slowest.
                let c = r.start / plan.chunk;
                std::thread::sleep(Duration::from_micros(200 * (8u64.saturating_sub(c))));
                r.collect::<Vec<u64>>()
            },
            |a: &mut Vec<u64>, b: &Vec<u64>| a.extend_from_slice(b),
            |_, done| {
                checkpoints.push(done);
                stop_at.is_some_and(|s| done >= s)
            },
        );
        (total, early, checkpoints)
    }

    #[test]
    fn in_order_gives_chunks_back_in_index_order_only() {
        let mut q = InOrder::new();
        for c in [2u64, 5, 1] {
            q.insert(c, c);
        }
        assert_eq!(q.pop(), None, "chunk 0 is missing");
        q.insert(0, 0);
        assert_eq!((q.pop(), q.pop(), q.pop()), (Some(0), Some(1), Some(2)));
        assert_eq!(q.pop(), None, "chunks 3 and 4 are missing");
        assert_eq!((q.next(), q.len()), (3, 1));
        q.insert(4, 4);
        q.insert(3, 3);
        assert_eq!((q.pop(), q.pop(), q.pop()), (Some(3), Some(4), Some(5)));
        assert_eq!((q.next(), q.len()), (6, 0));
    }

    #[test]
    fn chunks_finished_out_of_order_merge_in_index_order() {
        let plan = Plan {
            samples: 203,
            chunk: 4,
            checkpoint_every: 40,
            window: 3,
        };
        for threads in [1, 2, 3, 7] {
            let (total, early, checkpoints) = indices(threads, plan, None);
            assert_eq!(total, (0..203).collect::<Vec<_>>(), "{threads} threads");
            assert!(!early);
            assert_eq!(
                checkpoints,
                [40, 80, 120, 160, 200, 203],
                "{threads} threads"
            );
        }
    }

    #[test]
    fn a_stop_keeps_exactly_the_prefix_of_its_checkpoint() {
        let plan = Plan {
            samples: 1_000,
            chunk: 4,
            checkpoint_every: 20,
            window: 8,
        };
        for threads in [1, 2, 3, 7] {
            let (total, early, checkpoints) = indices(threads, plan, Some(50));
            assert!(early, "{threads} threads");
            assert_eq!(total, (0..60).collect::<Vec<_>>(), "{threads} threads");
            assert_eq!(checkpoints, [20, 40, 60], "{threads} threads");
        }
        // A stop asked at the last checkpoint is the end, not an early stop.
        let (total, early, _) = indices(2, plan, Some(1_000));
        assert!(!early);
        assert_eq!(total.len(), 1_000);
    }

    #[test]
    fn workers_wait_within_the_look_ahead_window() {
        // Chunk 0 blocks until released; the other worker may run only chunks 1..window.
        let plan = Plan {
            samples: 400,
            chunk: 2,
            checkpoint_every: 2,
            window: 5,
        };
        let started = AtomicU64::new(0);
        let (release, gate) = mpsc::channel::<()>();
        let gate = Mutex::new(gate);
        let released = AtomicBool::new(false);
        let watcher = std::thread::scope(|s| {
            let watcher = s.spawn(|| {
                let deadline = Instant::now() + Duration::from_secs(20);
                while started.load(Ordering::SeqCst) < plan.window && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                // Give a worker that ignored the window time to show it.
                std::thread::sleep(Duration::from_millis(50));
                let seen = started.load(Ordering::SeqCst);
                released.store(true, Ordering::SeqCst);
                release.send(()).unwrap();
                seen
            });
            let (total, early) = run_chunks(
                &pool(2),
                plan,
                |r: Range<u64>| {
                    started.fetch_add(1, Ordering::SeqCst);
                    if r.start == 0 {
                        gate.lock().unwrap().recv().unwrap();
                    }
                    r.end - r.start
                },
                |a: &mut u64, b: &u64| *a += b,
                |_, _| false,
            );
            assert_eq!((total, early), (400, false));
            watcher.join().unwrap()
        });
        assert!(released.load(Ordering::SeqCst));
        assert_eq!(
            watcher, plan.window,
            "chunks started while chunk 0 was blocked"
        );
    }

    #[test]
    fn a_panicking_worker_is_reraised_not_waited_for() {
        let plan = Plan {
            samples: 100,
            chunk: 2,
            checkpoint_every: 10,
            window: 2,
        };
        let outcome = std::panic::catch_unwind(|| {
            run_chunks(
                &pool(2),
                plan,
                |r: Range<u64>| {
                    assert!(r.start != 10, "chunk 5 fails");
                    r.end - r.start
                },
                |a: &mut u64, b: &u64| *a += b,
                |_, _| false,
            )
        });
        assert!(outcome.is_err());
        let outcome = std::panic::catch_unwind(|| {
            run_chunks(
                &pool(2),
                plan,
                |r: Range<u64>| r.end - r.start,
                |a: &mut u64, b: &u64| *a += b,
                |_, done| {
                    assert!(done < 50, "the checkpoint fails");
                    false
                },
            )
        });
        assert!(outcome.is_err());
    }
}
