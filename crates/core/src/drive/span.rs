//! The `eximbay.call` span — or nothing. With the `tracing` feature (the adapters turn it
//! on) the drive loops record into a real `tracing` span; without it these are no-ops and
//! the core builds without the four tracing crates.

#[cfg(feature = "tracing")]
pub(crate) use tracing::Span;

/// The span of one call.
#[cfg(feature = "tracing")]
pub(crate) fn call_span(operation: &'static str) -> Span {
    tracing::info_span!(
        "eximbay.call",
        operation,
        attempts = tracing::field::Empty,
        outcome = tracing::field::Empty,
        rescode = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

/// A safe failure is retried.
#[cfg(feature = "tracing")]
pub(crate) fn retrying(attempt: u32, detail: &str) {
    tracing::debug!(attempt, %detail, "retrying a safe failure");
}

/// Runs `future` inside `span`.
#[cfg(feature = "tracing")]
pub(crate) async fn within<F: std::future::Future>(span: &Span, future: F) -> F::Output {
    use tracing::Instrument as _;
    future.instrument(span.clone()).await
}

/// Without the `tracing` feature: a span that records nothing.
#[cfg(not(feature = "tracing"))]
#[derive(Clone, Debug)]
pub(crate) struct Span;

/// What [`Span::enter`] returns without the `tracing` feature.
#[cfg(not(feature = "tracing"))]
pub(crate) struct Entered;

#[cfg(not(feature = "tracing"))]
impl Span {
    pub(crate) fn current() -> Span {
        Span
    }
    pub(crate) fn record<V>(&self, _field: &str, _value: V) -> &Self {
        self
    }
    pub(crate) fn enter(&self) -> Entered {
        Entered
    }
    pub(crate) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        f()
    }
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn call_span(_operation: &'static str) -> Span {
    Span
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn retrying(_attempt: u32, _detail: &str) {}

#[cfg(not(feature = "tracing"))]
pub(crate) async fn within<F: std::future::Future>(_span: &Span, future: F) -> F::Output {
    future.await
}
