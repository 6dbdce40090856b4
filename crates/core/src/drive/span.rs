//! The `eximbay.call` span and its `eximbay.attempt` children — or nothing. With the
//! `tracing` feature (the adapters turn it on) the drive loops record into real `tracing`
//! spans; without it these are no-ops and the core builds without the four tracing crates.
//!
//! Each attempt is a child span rather than an event because OpenTelemetry models one HTTP
//! request as one client span (`http.request.resend_count` counts the earlier ones), and
//! `tracing-opentelemetry` exports a span as it is: the attributes use the OpenTelemetry
//! HTTP-client names, `otel.name` is `"{method} {url.template}"` and `otel.kind` is `client`.

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
    )
}

/// The span of one attempt (one HTTP request) of the call `parent`, with the OpenTelemetry
/// HTTP-client attributes read off the request; `attempt` counts from 1. The adapters record
/// `latency_ms` into it, the drive loop `http.response.status_code` and `error.type`.
#[cfg(feature = "tracing")]
pub(crate) fn attempt_span(parent: &Span, request: &http::Request<Vec<u8>>, attempt: u32) -> Span {
    let method = request.method().as_str();
    let template = url_template(request.uri().path());
    let span = tracing::info_span!(
        parent: parent,
        "eximbay.attempt",
        otel.name = %format_args!("{method} {template}"),
        otel.kind = "client",
        http.request.method = method,
        server.address = request.uri().host().unwrap_or_default(),
        server.port = server_port(request.uri()),
        url.template = template,
        http.request.resend_count = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        error.type = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );
    // OpenTelemetry: set on retries only (the first request is not a resend).
    if attempt > 1 {
        span.record("http.request.resend_count", attempt - 1);
    }
    span
}

/// Records what one attempt got on its span: the HTTP status, or the transport failure as
/// `error.type` (a status of 400 or more is one too, as OpenTelemetry has it for clients).
#[cfg(feature = "tracing")]
pub(crate) fn record_attempt(
    attempt: &Span,
    result: &Result<http::Response<Vec<u8>>, super::TransportError>,
) {
    match result {
        Ok(response) => {
            let status = response.status();
            attempt.record("http.response.status_code", status.as_u16());
            if status.as_u16() >= 400 {
                attempt.record("error.type", status.as_str());
            }
        }
        Err(error) => {
            attempt.record("error.type", error_type(error.failure));
        }
    }
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
pub(crate) fn attempt_span(
    _parent: &Span,
    _request: &http::Request<Vec<u8>>,
    _attempt: u32,
) -> Span {
    Span
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn record_attempt(
    _attempt: &Span,
    _result: &Result<http::Response<Vec<u8>>, super::TransportError>,
) {
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn retrying(_attempt: u32, _detail: &str) {}

#[cfg(not(feature = "tracing"))]
pub(crate) async fn within<F: std::future::Future>(_span: &Span, future: F) -> F::Output {
    future.await
}

/// A transport failure as OpenTelemetry's `error.type`: a short, stable, low-cardinality name
/// (`_OTHER` is the convention's own name for the unclassified).
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
fn error_type(failure: crate::retry::TransportFailure) -> &'static str {
    use crate::retry::TransportFailure;
    match failure {
        TransportFailure::Dns => "dns",
        TransportFailure::Connect => "connect",
        TransportFailure::Tls => "tls",
        TransportFailure::RequestNotWritten => "request_not_written",
        TransportFailure::ReadTimeout => "read_timeout",
        TransportFailure::ResetAfterWrite => "reset_after_write",
        TransportFailure::ResponseTooLarge => "response_too_large",
        TransportFailure::Other => "_OTHER",
    }
}

/// The port the request goes to: the URI's, or the scheme's default.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
fn server_port(uri: &http::Uri) -> u16 {
    uri.port_u16()
        .unwrap_or(if uri.scheme_str() == Some("http") {
            80
        } else {
            443
        })
}

/// The route of a gateway request with its ids as placeholders (OpenTelemetry's
/// `url.template`): low-cardinality, so a trace backend groups calls by operation, and no
/// transaction, token or recurring id is copied into every span. A base URL's own path
/// prefix (a proxy's) is dropped; a path of no known route is `"{unknown}"`.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
fn url_template(path: &str) -> &'static str {
    if path.ends_with(crate::config::DIRECT_PROCESSOR_PATH) {
        return crate::config::DIRECT_PROCESSOR_PATH;
    }
    let Some((_, route)) = path.split_once("/v1/payments/") else {
        return "{unknown}";
    };
    let segments: Vec<&str> = route.split('/').collect();
    match segments.as_slice() {
        ["ready"] => "/v1/payments/ready",
        ["retrieve"] => "/v1/payments/retrieve",
        ["verify"] => "/v1/payments/verify",
        ["confirm"] => "/v1/payments/confirm",
        [_, "capture"] => "/v1/payments/{transaction_id}/capture",
        [_, "cancel"] => "/v1/payments/{transaction_id}/cancel",
        ["tokenbilling", _] => "/v1/payments/tokenbilling/{token_id}",
        ["tokenbilling", _, "rebill"] => "/v1/payments/tokenbilling/{token_id}/rebill",
        ["tokenbilling", _, "delete"] => "/v1/payments/tokenbilling/{token_id}/delete",
        ["recurring", _, "delete"] => "/v1/payments/recurring/{recurring_id}/delete",
        ["recurring", _, "adjust"] => "/v1/payments/recurring/{recurring_id}/adjust",
        _ => "{unknown}",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_template_without_its_ids() {
        let cases = [
            ("/v1/payments/ready", "/v1/payments/ready"),
            ("/v1/payments/retrieve", "/v1/payments/retrieve"),
            ("/v1/payments/verify", "/v1/payments/verify"),
            ("/v1/payments/confirm", "/v1/payments/confirm"),
            (
                "/v1/payments/1849705C6420260101000001/capture",
                "/v1/payments/{transaction_id}/capture",
            ),
            (
                "/proxy/v1/payments/1849705C6420260101000001/cancel",
                "/v1/payments/{transaction_id}/cancel",
            ),
            (
                "/v1/payments/tokenbilling/TK1",
                "/v1/payments/tokenbilling/{token_id}",
            ),
            (
                "/v1/payments/tokenbilling/TK1/rebill",
                "/v1/payments/tokenbilling/{token_id}/rebill",
            ),
            (
                "/v1/payments/tokenbilling/TK1/delete",
                "/v1/payments/tokenbilling/{token_id}/delete",
            ),
            (
                "/v1/payments/recurring/RC1/delete",
                "/v1/payments/recurring/{recurring_id}/delete",
            ),
            (
                "/v1/payments/recurring/RC1/adjust",
                "/v1/payments/recurring/{recurring_id}/adjust",
            ),
            (
                "/Gateway/DirectProcessor.krp",
                "/Gateway/DirectProcessor.krp",
            ),
            ("/v1/payments/TK1/refund", "{unknown}"),
            ("/elsewhere", "{unknown}"),
        ];
        for (path, template) in cases {
            assert_eq!(url_template(path), template, "{path}");
        }
    }

    #[test]
    fn the_port_is_the_uris_or_the_schemes() {
        let port = |uri: &str| server_port(&uri.parse().unwrap());
        assert_eq!(port("https://api.eximbay.com/v1/payments/ready"), 443);
        assert_eq!(port("http://127.0.0.1/v1/payments/ready"), 80);
        assert_eq!(port("http://127.0.0.1:8080/v1/payments/ready"), 8080);
    }
}
