//! How much memory pushdown's own code holds at its peak.
//!
//! With DuckDB embedded, the process's resident size is mostly DuckDB's
//! buffer pool, which DuckDB sizes to the data (its `memory_limit` caps it).
//! What the agent itself keeps is measured here: built with the
//! `heap-stats` feature, the `pushdown` binary installs [`Counting`] as
//! Rust's global allocator, which sees every Rust allocation and none of
//! DuckDB's (C++, through its own allocator calls). It is off by default:
//! two atomic operations per allocation, shared by every thread, cost
//! landing about a tenth more CPU (measured on the 1x zone). `realloc` and
//! `alloc_zeroed` still go to the system's own (in-place growth, zeroed
//! pages), which the counting crates on crates.io replace with a copy.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting the bytes it hands out.
pub struct Counting;

impl Counting {
    fn grew(size: usize) {
        let now = CURRENT.fetch_add(size, Ordering::Relaxed) + size;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }

    fn shrank(size: usize) {
        CURRENT.fetch_sub(size, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` with the caller's arguments;
// the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            Self::grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            Self::grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        Self::shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size > layout.size() {
                Self::grew(new_size - layout.size());
            } else {
                Self::shrank(layout.size() - new_size);
            }
        }
        p
    }
}

/// The most bytes pushdown's code held at once, when the binary counts
/// them (`None` in a process that does not install [`Counting`]).
pub fn peak_bytes() -> Option<u64> {
    match PEAK.load(Ordering::Relaxed) {
        0 => None,
        n => Some(n as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counters follow what is held (not installed as the global
    /// allocator here, so only these calls move them).
    #[test]
    fn the_peak_is_the_most_held_at_once() {
        let small = Layout::from_size_align(1000, 8).unwrap();
        unsafe {
            let a = Counting.alloc(small);
            let b = Counting.alloc_zeroed(small);
            assert_eq!(CURRENT.load(Ordering::Relaxed), 2000);
            let b = Counting.realloc(b, small, 5000);
            assert_eq!(CURRENT.load(Ordering::Relaxed), 6000);
            Counting.dealloc(a, small);
            let b = Counting.realloc(b, Layout::from_size_align(5000, 8).unwrap(), 100);
            assert_eq!(CURRENT.load(Ordering::Relaxed), 100);
            Counting.dealloc(b, Layout::from_size_align(100, 8).unwrap());
        }
        assert_eq!(CURRENT.load(Ordering::Relaxed), 0);
        assert_eq!(peak_bytes(), Some(6000));
    }
}
