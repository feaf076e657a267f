//! Precise open-loop pacing: one task per phase sleeps on a Linux `timerfd`
//! (nanosecond resolution, unlike tokio's 1 ms timer wheel) and releases one
//! semaphore permit per request as its intended start time arrives. Slots wait
//! for a permit, then claim the next request index from the [`Schedule`].
//! Requests due within [`BATCH`] of a wake-up are released together.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;
use tokio::sync::Semaphore;

use crate::rate::Schedule;

/// Release requests due this close to now in the same wake-up.
pub const BATCH: Duration = Duration::from_micros(10);

#[allow(unsafe_code)]
fn timerfd() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; the returned fd is owned by the OwnedFd.
    let fd = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh, valid descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[allow(unsafe_code)]
fn arm(fd: &OwnedFd, after: Duration) -> io::Result<()> {
    let after = after.max(Duration::from_nanos(1)); // zero would disarm
    let spec = libc::itimerspec {
        it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
        it_value: libc::timespec {
            tv_sec: after.as_secs() as libc::time_t,
            tv_nsec: after.subsec_nanos() as libc::c_long,
        },
    };
    // SAFETY: valid fd and a fully initialised itimerspec.
    if unsafe { libc::timerfd_settime(fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[allow(unsafe_code)]
async fn expire(afd: &AsyncFd<OwnedFd>) -> io::Result<()> {
    loop {
        let mut guard = afd.readable().await?;
        let r = guard.try_io(|fd| {
            let mut buf = [0u8; 8];
            // SAFETY: reading 8 bytes into an 8-byte buffer from our timerfd.
            let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), 8) };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(())
            }
        });
        match r {
            Ok(res) => return res,
            Err(_would_block) => continue,
        }
    }
}

/// Release permits on schedule until the run's last request; then release
/// `slots` extra permits so every waiting slot wakes, finds the schedule
/// exhausted and exits.
pub async fn run(
    rate: f64,
    start: Instant,
    sched: Arc<Schedule>,
    gate: Arc<Semaphore>,
    slots: usize,
) -> io::Result<()> {
    // SAFETY: an OwnedFd always returns the same open descriptor until dropped.
    #[allow(unsafe_code)]
    let afd = unsafe { AsyncFd::register_with_interest(timerfd()?, tokio::io::Interest::READABLE) }
        .map_err(|e| io::Error::other(e.to_string()))?;
    let mut released: u64 = 0;
    while sched.is_due_index(released) {
        let now = Instant::now();
        let mut n = 0;
        while sched.is_due_index(released + n) && start + Schedule::intended_offset(rate, released + n) <= now + BATCH {
            n += 1;
        }
        if n > 0 {
            gate.add_permits(n as usize);
            released += n;
            continue;
        }
        let due = start + Schedule::intended_offset(rate, released);
        arm(afd.get_ref(), due - now)?;
        expire(&afd).await?;
    }
    gate.add_permits(slots);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn releases_on_time() {
        let start = Instant::now();
        let sched = Arc::new(Schedule::new(start, Some(2000.0), Some(20), None));
        let gate = Arc::new(Semaphore::new(0));
        let t = tokio::spawn(run(2000.0, start, sched.clone(), gate.clone(), 1));
        for i in 0..20u64 {
            gate.acquire().await.unwrap().forget();
            let due = sched.next().unwrap().unwrap();
            assert_eq!(due, start + Schedule::intended_offset(2000.0, i));
            assert!(Instant::now() + BATCH >= due, "released early");
        }
        t.await.unwrap().unwrap();
        gate.acquire().await.unwrap().forget();
        assert!(sched.next().is_none());
        // 20 requests at 2000/s take ~9.5 ms.
        assert!(start.elapsed() >= Duration::from_micros(9_400));
    }
}
