//! Callbacks on the application's own thread (CAPTIVATE_CALLBACKS_POLLED): the client's worker
//! is run by captivate_client_dispatch, and a socket the application polls becomes readable
//! whenever callbacks are ready, so that an event loop (epoll, poll, libuv, GLib, Qt) needs no
//! thread of its own for the library.
//!
//! The doorbell is one byte into a socket pair, written only if the bell has not been rung
//! since the last dispatch began: a burst of events costs one wake-up of the application.

use std::cell::Cell;
use std::ffi::c_int;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Wake, Waker};

use captivate_binding::runtime;

use crate::client::{captivate_client, entry};
use crate::dispatch::{Turn, Worker, in_callback};
use crate::result::{Fail, R, captivate_result, guard};

/// Rung by the library's threads when callbacks are ready; read by the application's loop.
struct Bell {
    rung: AtomicBool,
    reader: UnixStream,
    writer: UnixStream,
}

impl Wake for Bell {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.rung.swap(true, Ordering::SeqCst) {
            // A full socket (would block) means the application has a wake-up waiting already.
            let _ = (&self.writer).write(&[1]);
        }
    }
}

impl Bell {
    /// Forgets the rings so far: the next ring writes again. The bytes are read before the
    /// flag is cleared: a ring in between finds the flag still set and writes nothing, and
    /// what it rang for is seen by the turn that follows; cleared first, a ring in between
    /// would write a byte that the read then swallows, leaving the flag set with nothing to
    /// read, and no later ring would write again.
    fn answer(&self) {
        let mut buf = [0u8; 64];
        while matches!((&self.reader).read(&mut buf), Ok(n) if n > 0) {}
        self.rung.store(false, Ordering::SeqCst);
    }
}

thread_local! {
    /// The worker this thread is dispatching (its address), while it does.
    static DISPATCHING: Cell<usize> = const { Cell::new(0) };
}

/// The application's side of a polled client.
pub(crate) struct Polled {
    bell: Arc<Bell>,
    /// None once the client has been freed and its worker finished.
    worker: Mutex<Option<Worker>>,
}

impl Polled {
    pub(crate) fn new(worker: Worker) -> std::io::Result<Polled> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        let bell = Arc::new(Bell { rung: AtomicBool::new(false), reader, writer });
        // The first dispatch registers the wakers; until it has run, nothing else would ring.
        bell.wake_by_ref();
        Ok(Polled { bell, worker: Mutex::new(Some(worker)) })
    }

    fn key(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// The descriptor to poll for reading.
    pub(crate) fn fd(&self) -> RawFd {
        self.bell.reader.as_raw_fd()
    }

    /// Runs at most `max` ready callbacks (0: all of them) on this thread; returns how many ran.
    pub(crate) fn dispatch(&self, max: usize) -> R<usize> {
        if in_callback() {
            return Err(Fail::new(
                captivate_result::WouldDeadlock,
                "captivate_client_dispatch was called from inside a callback",
            ));
        }
        let mut slot = self.worker.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(worker) = slot.as_mut() else { return Ok(0) };
        self.bell.answer();
        let waker = Waker::from(self.bell.clone());
        let limit = if max == 0 { usize::MAX } else { max };
        let mut budget = limit;
        let outer = DISPATCHING.with(|d| d.replace(self.key()));
        let turn = {
            let _rt = runtime::handle().enter();
            worker.turn(&mut Context::from_waker(&waker), &mut budget)
        };
        DISPATCHING.with(|d| d.set(outer));
        match turn {
            Turn::Pending => {}
            // More is ready: the descriptor stays readable.
            Turn::Spent => self.bell.wake_by_ref(),
            Turn::Stopped => {
                if let Some(w) = slot.take() {
                    drop(slot);
                    w.finish();
                }
            }
        }
        Ok(limit - budget)
    }

    /// The client is being freed (its stop flag is set): finishes the worker on this thread,
    /// or, inside one of its own callbacks, after that callback returns.
    pub(crate) fn stop(&self) {
        if DISPATCHING.with(Cell::get) == self.key() {
            return;
        }
        let worker = self.worker.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(w) = worker {
            w.finish();
        }
    }
}

fn polled_of<T>(client: *mut captivate_client, f: impl FnOnce(&Polled) -> R<T>) -> R<T> {
    let e = entry(client)?;
    match e.dispatch.polled() {
        Some(p) => f(p),
        None => Err(Fail::new(
            captivate_result::InvalidArgument,
            "the client's callbacks are not polled (see captivate_options_set_callbacks)",
        )),
    }
}

/// For a client whose callbacks are polled (CAPTIVATE_CALLBACKS_POLLED): writes to `*fd` a
/// file descriptor that is readable whenever callbacks are ready to run. Watch it for reading
/// in your event loop and call captivate_client_dispatch when it is; do not read, write or
/// close it (captivate_client_free closes it: remove it from your loop first).
/// CAPTIVATE_RESULT_INVALID_ARGUMENT for a client in another mode.
///
/// # Safety
/// `fd` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_fd(client: *mut captivate_client, fd: *mut c_int) -> captivate_result {
    guard(|| {
        if fd.is_null() {
            return Err(Fail::new(captivate_result::NullPointer, "fd is NULL"));
        }
        let raw = polled_of(client, |p| Ok(p.fd()))?;
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { *fd = raw };
        Ok(())
    })
}

/// For a client whose callbacks are polled: runs, on the calling thread, the event and
/// completion callbacks that are ready, in order, at most `max` of them (0: all that are
/// ready), and writes how many ran to `*ran` (may be NULL). Returns at once when nothing is
/// ready; when more than `max` are, the descriptor of captivate_client_fd stays readable.
/// Call it from one thread at a time (another call waits for the first). After
/// captivate_client_free the client's last callbacks (the outcomes of its calls still
/// waiting, then `userdata_free`) run on the thread that freed it. Fails with
/// CAPTIVATE_RESULT_WOULD_DEADLOCK inside a callback, CAPTIVATE_RESULT_INVALID_ARGUMENT for a
/// client in another mode.
///
/// # Safety
/// `ran` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_dispatch(
    client: *mut captivate_client,
    max: usize,
    ran: *mut usize,
) -> captivate_result {
    guard(|| {
        let n = polled_of(client, |p| p.dispatch(max))?;
        if !ran.is_null() {
            // SAFETY: checked non-NULL; the caller promises it is writable.
            unsafe { *ran = n };
        }
        Ok(())
    })
}
