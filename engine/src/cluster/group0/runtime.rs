//! openraft's runtime trait driven by glommio: group 0 runs on shard 0's executor, so
//! its tasks are `spawn_local`ed (detached: dropping a handle does not cancel the task, as
//! openraft expects of tokio), its timers are glommio timers, and its futures need not be
//! `Send` (openraft's `singlethreaded` feature). Only tokio's runtime-agnostic parts are
//! used: `tokio::time::Instant` (a plain monotonic clock) and `tokio::sync::oneshot`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use glommio::timer::Timer;
use openraft::async_runtime::TokioOneShotSender;
use openraft::{AsyncRuntime, TokioInstant};

#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
pub struct GlommioRuntime;

/// A spawned task that ended without a result (it panicked or was cancelled).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the group 0 task ended without a result (panicked or cancelled)")]
pub struct TaskLost;

/// A timeout that elapsed before the future completed.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("deadline elapsed")]
pub struct Elapsed;

/// The handle of a detached glommio task.
pub struct TaskHandle<T>(glommio::task::JoinHandle<T>);

impl<T> Future for TaskHandle<T> {
    type Output = Result<T, TaskLost>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|r| r.ok_or(TaskLost))
    }
}

/// A glommio timer whose output is `()`.
pub struct Sleep(Timer);

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}

/// `future`, or `Elapsed` once the timer fires first.
pub struct Timeout<T> {
    future: Pin<Box<T>>,
    timer: Timer,
}

impl<R, T: Future<Output = R>> Future for Timeout<T> {
    type Output = Result<R, Elapsed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(r) = self.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(r));
        }
        Pin::new(&mut self.timer).poll(cx).map(|_| Err(Elapsed))
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sleep")
    }
}

fn until(deadline: TokioInstant) -> Duration {
    deadline.saturating_duration_since(TokioInstant::now())
}

impl AsyncRuntime for GlommioRuntime {
    type JoinError = TaskLost;
    type JoinHandle<T: 'static> = TaskHandle<T>;
    type Sleep = Sleep;
    type Instant = TokioInstant;
    type TimeoutError = Elapsed;
    type Timeout<R, T: Future<Output = R>> = Timeout<T>;
    type ThreadLocalRng = rand08::rngs::ThreadRng;
    type OneshotSender<T> = TokioOneShotSender<T>;
    type OneshotReceiverError = tokio::sync::oneshot::error::RecvError;
    type OneshotReceiver<T> = tokio::sync::oneshot::Receiver<T>;

    fn spawn<T>(future: T) -> Self::JoinHandle<T::Output>
    where
        T: Future + 'static,
        T::Output: 'static,
    {
        TaskHandle(glommio::spawn_local(future).detach())
    }

    fn sleep(duration: Duration) -> Self::Sleep {
        Sleep(Timer::new(duration))
    }

    fn sleep_until(deadline: Self::Instant) -> Self::Sleep {
        Sleep(Timer::new(until(deadline)))
    }

    fn timeout<R, F: Future<Output = R>>(duration: Duration, future: F) -> Self::Timeout<R, F> {
        Timeout { future: Box::pin(future), timer: Timer::new(duration) }
    }

    fn timeout_at<R, F: Future<Output = R>>(deadline: Self::Instant, future: F) -> Self::Timeout<R, F> {
        Timeout { future: Box::pin(future), timer: Timer::new(until(deadline)) }
    }

    fn is_panic(_: &Self::JoinError) -> bool {
        // glommio does not say whether a lost task panicked or was cancelled.
        false
    }

    fn thread_rng() -> Self::ThreadLocalRng {
        rand08::thread_rng()
    }

    fn oneshot<T>() -> (Self::OneshotSender<T>, Self::OneshotReceiver<T>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (TokioOneShotSender(tx), rx)
    }
}
