//! The io_uring job runner: keeps exactly `depth` O_DIRECT requests in flight until a time or byte target.
#![allow(unsafe_code)] // io_uring submission entries point at our buffers, which outlive the ring's use of them.

use super::buffer::{AlignedBuf, XorShift};
use crate::signal;
use anyhow::{bail, Context, Result};
use io_uring::{opcode, types, IoUring};
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read,
    Write,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    Sequential,
    Random,
}

/// When a job stops issuing new requests.
#[derive(Debug, Clone, Copy)]
pub enum Until {
    Elapsed(Duration),
    Bytes(u64),
}

/// One measurement: an operation, an access pattern, a block size and an exact queue depth.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    pub op: Op,
    pub pattern: Pattern,
    pub block: usize,
    pub depth: u32,
    pub until: Until,
}

/// What a job achieved.
#[derive(Debug, Clone, Copy, Default)]
pub struct JobResult {
    pub ops: u64,
    pub bytes: u64,
    pub elapsed: Duration,
}

impl JobResult {
    pub fn iops(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    pub fn bandwidth(&self) -> f64 {
        self.bytes as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// Offsets generator over a file of `blocks` blocks.
struct Offsets {
    pattern: Pattern,
    block: u64,
    blocks: u64,
    next: u64,
    rng: XorShift,
}

impl Offsets {
    fn next(&mut self) -> u64 {
        let idx = match self.pattern {
            Pattern::Sequential => {
                let i = self.next;
                self.next = (self.next + 1) % self.blocks;
                i
            }
            Pattern::Random => self.rng.below(self.blocks),
        };
        idx * self.block
    }
}

/// Runs `job` against the O_DIRECT file `fd` of `file_size` bytes.
pub fn run(fd: RawFd, file_size: u64, job: &Job, seed: u64) -> Result<JobResult> {
    let depth = job.depth.max(1);
    let blocks = file_size / job.block as u64;
    if blocks == 0 {
        bail!("test file of {file_size} bytes is smaller than one {} byte block", job.block);
    }
    // Buffers are declared before the ring so they are dropped after it.
    let mut bufs: Vec<AlignedBuf> = (0..depth).map(|i| AlignedBuf::random(job.block, seed ^ u64::from(i))).collect();
    let mut ring = IoUring::new(depth.next_power_of_two()).context("io_uring_setup failed")?;
    let mut offsets =
        Offsets { pattern: job.pattern, block: job.block as u64, blocks, next: 0, rng: XorShift::new(seed) };
    let start = Instant::now();
    let mut issued_bytes = 0u64;
    let more = |issued: u64| -> bool {
        !signal::stop_requested()
            && match job.until {
                Until::Elapsed(d) => start.elapsed() < d,
                Until::Bytes(b) => issued < b,
            }
    };
    let mut inflight = 0u32;
    for (slot, buf) in bufs.iter_mut().enumerate() {
        if !more(issued_bytes) {
            break;
        }
        push(&mut ring, fd, job, buf, slot, offsets.next())?;
        issued_bytes += job.block as u64;
        inflight += 1;
    }
    let mut result = JobResult::default();
    let mut failure: Option<anyhow::Error> = None;
    let mut done: Vec<(usize, i32)> = Vec::with_capacity(depth as usize);
    while inflight > 0 {
        // Every request is reaped even after a failure: the kernel still owns their buffers.
        if let Err(e) = ring.submit_and_wait(1) {
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            // Requests may still be in flight: leak their buffers rather than free memory the kernel may write.
            std::mem::forget(bufs);
            return Err(e).context("io_uring_enter failed");
        }
        done.extend(ring.completion().map(|c| (c.user_data() as usize, c.result())));
        for (slot, res) in done.drain(..) {
            inflight -= 1;
            if res < 0 {
                let err = std::io::Error::from_raw_os_error(-res);
                failure.get_or_insert_with(|| anyhow::anyhow!("{:?} failed: {err}", job.op));
                continue;
            }
            result.ops += 1;
            result.bytes += res as u64;
            if failure.is_none() && more(issued_bytes) {
                push(&mut ring, fd, job, &mut bufs[slot], slot, offsets.next())?;
                issued_bytes += job.block as u64;
                inflight += 1;
            }
        }
    }
    result.elapsed = start.elapsed();
    match failure {
        Some(e) => Err(e),
        None => Ok(result),
    }
}

fn push(ring: &mut IoUring, fd: RawFd, job: &Job, buf: &mut AlignedBuf, slot: usize, offset: u64) -> Result<()> {
    let len = buf.len() as u32;
    let entry = match job.op {
        Op::Read => opcode::Read::new(types::Fd(fd), buf.as_mut_ptr(), len).offset(offset).build(),
        Op::Write => opcode::Write::new(types::Fd(fd), buf.as_ptr(), len).offset(offset).build(),
    }
    .user_data(slot as u64);
    // SAFETY: the buffer of `slot` is only reused after this request's completion was reaped,
    // and all buffers outlive the ring (every request is drained before `run` returns).
    unsafe { ring.submission().push(&entry) }.map_err(|_| anyhow::anyhow!("io_uring submission queue full"))?;
    Ok(())
}
