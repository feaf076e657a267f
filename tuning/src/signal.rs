//! Ctrl-C / SIGTERM handling: the first signal asks the measurement loops to stop so the test
//! file is removed; a second one exits at once.
#![allow(unsafe_code)] // installing a signal handler is FFI.

use std::sync::atomic::{AtomicBool, Ordering};

/// Exit code of a run interrupted by a signal (128 + SIGINT).
pub const INTERRUPTED_EXIT_CODE: i32 = 130;

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_sig: libc::c_int) {
    if STOP.swap(true, Ordering::SeqCst) {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(INTERRUPTED_EXIT_CODE) };
    }
}

/// Installs the handler for SIGINT and SIGTERM.
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only touches an atomic and calls _exit, both async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// Whether a stop was requested.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}
