//! The server's connections: how many may be open at once, what happens when one more
//! arrives, and how each is served (hyper's HTTP/1 connection with its header-read timer).
//!
//! At most `max_connections` are served at once. When one more arrives, the oldest idle
//! connection (no request in progress: none begun, or only part of a head) is closed at
//! once — or, when every connection is busy, the oldest one is asked to close with hyper's
//! graceful shutdown, which lets it finish its answer ([`CLOSE_GRACE`] at most); the
//! newcomer is served as soon as a place is free.
//! So idle connections, however many an attacker opens, never lock others out, and the
//! sandbox never holds more descriptors than the limit allows.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Frame, SizeHint};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// How long a connection asked to close may take to finish the answer it is writing.
pub const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// One open connection, as the registry sees it.
#[derive(Debug, Default)]
pub(crate) struct Connection {
    /// Requests in progress on it.
    busy: AtomicUsize,
    /// Asks it to close.
    close: Notify,
    /// Whether it was asked already.
    closing: AtomicBool,
}

impl Connection {
    /// Marks a request in progress until the returned guard is dropped.
    pub(crate) fn busy(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::SeqCst);
        Busy(self.clone())
    }

    /// Whether a request is in progress on it (read, handled, or its answer being written).
    pub(crate) fn is_busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst) > 0
    }

    /// Resolves when the connection is asked to close.
    pub(crate) async fn asked_to_close(&self) {
        self.close.notified().await;
    }
}

/// A request in progress on a connection.
#[derive(Debug)]
pub(crate) struct Busy(Arc<Connection>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An answer's body, which keeps its connection marked busy until hyper has written it
/// and dropped it.
#[derive(Debug)]
pub(crate) struct Answer {
    body: Full<Bytes>,
    _busy: Busy,
}

impl Answer {
    pub(crate) fn new(body: Full<Bytes>, busy: Busy) -> Self {
        Answer { body, _busy: busy }
    }
}

impl hyper::body::Body for Answer {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The open connections and the limit on them.
#[derive(Debug)]
pub(crate) struct Connections {
    places: Arc<Semaphore>,
    /// Open connections by the order they were accepted (oldest first).
    open: Mutex<BTreeMap<u64, Arc<Connection>>>,
    accepted: Mutex<u64>,
}

/// A served connection's place: frees it (and forgets the connection) when dropped.
#[derive(Debug)]
pub(crate) struct Place {
    connections: Arc<Connections>,
    id: u64,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.connections.registry().remove(&self.id);
    }
}

impl Connections {
    /// At most `max` connections at once (at least one).
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Connections {
            places: Arc::new(Semaphore::new(max.max(1))),
            open: Mutex::new(BTreeMap::new()),
            accepted: Mutex::new(0),
        })
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Connection>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for a connection just accepted: at once when one is free; otherwise after
    /// asking the oldest idle (else the oldest) connection to close and waiting for it.
    /// `None` only if the limit were closed, which it never is.
    pub(crate) async fn place(self: &Arc<Self>) -> Option<(Place, Arc<Connection>)> {
        let permit = match self.places.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                self.close_one();
                self.places.clone().acquire_owned().await.ok()?
            }
        };
        Some(self.register(permit))
    }

    fn register(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> (Place, Arc<Connection>) {
        let id = {
            let mut accepted = self.accepted.lock().unwrap_or_else(|p| p.into_inner());
            *accepted += 1;
            *accepted
        };
        let connection = Arc::new(Connection::default());
        self.registry().insert(id, connection.clone());
        let place = Place {
            connections: self.clone(),
            id,
            _permit: permit,
        };
        (place, connection)
    }

    /// Asks the oldest idle connection (else the oldest) to close; whether there was one.
    pub(crate) fn close_one(&self) -> bool {
        let registry = self.registry();
        let mut open = registry
            .values()
            .filter(|c| !c.closing.load(Ordering::SeqCst));
        let chosen = open
            .clone()
            .find(|c| c.busy.load(Ordering::SeqCst) == 0)
            .or_else(|| open.next());
        match chosen {
            Some(connection) => {
                connection.closing.store(true, Ordering::SeqCst);
                // `notify_one` keeps the wake-up if the connection is not waiting yet.
                connection.close.notify_one();
                true
            }
            None => false,
        }
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        self.registry().len()
    }
}
