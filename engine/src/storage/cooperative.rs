//! Cooperative slicing of long storage loops (flush encoding, compaction merging): they
//! yield their task queue after [`BACKGROUND_SLICE_US`] of CPU work, so requests in the
//! default queue wait at most about that long behind them.

use std::time::{Duration, Instant};

use crate::limits::BACKGROUND_SLICE_US;

pub struct Slicer {
    since: Instant,
}

impl Default for Slicer {
    fn default() -> Slicer {
        Slicer { since: Instant::now() }
    }
}

impl Slicer {
    /// Yields the task queue if this slice is used up.
    pub async fn tick(&mut self) {
        if self.since.elapsed() >= Duration::from_micros(BACKGROUND_SLICE_US) {
            glommio::executor().yield_task_queue_now().await;
            self.since = Instant::now();
        }
    }
}
