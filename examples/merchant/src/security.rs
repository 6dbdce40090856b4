//! One set of security headers on every response, and the per-response nonce that lets the
//! shop's own inline scripts and styles run under its Content-Security-Policy.
//!
//! The policy allows scripts and styles only with this response's nonce (the templates put
//! it on their `<script>` and `<style>` tags: the `EXIMBAY.request_pay` call, the legacy
//! window's auto-post form), plus the gateway's origin for its SDK and its window (forms,
//! frames, connections); nothing may frame the shop (`frame-ancestors 'none'`, and
//! `X-Frame-Options: DENY` for older browsers).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::auth::{origin_of, random_token};
use crate::shop::Shop;

tokio::task_local! {
    /// This response's CSP nonce, for the templates ([`crate::pages::Pages::render`]).
    static NONCE: String;
}

/// This response's CSP nonce (empty outside a request: nothing inline will run).
pub fn nonce() -> String {
    NONCE.try_with(String::clone).unwrap_or_default()
}

/// The Content-Security-Policy for a response with `nonce`, the gateway at `gateway_url`.
pub fn content_security_policy(nonce: &str, gateway_url: &str) -> String {
    let mut gateway = origin_of(gateway_url).unwrap_or_default();
    // Eximbay's SDK and window live on several of its hosts (api, secureapi, …).
    if gateway.ends_with(".eximbay.com") {
        gateway.push_str(" https://*.eximbay.com");
    }
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' {gateway}; \
         style-src 'nonce-{nonce}'; img-src 'self' data: {gateway}; \
         connect-src 'self' {gateway}; frame-src {gateway}; form-action 'self' {gateway}; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
}

/// The middleware: a fresh nonce for the handler, the headers on its response. Back-office
/// pages (`/orders…`, `/sign-in`) are also marked `no-store`, so a shared computer's cache
/// keeps no buyer's data.
pub async fn headers(State(shop): State<Arc<Shop>>, request: Request, next: Next) -> Response {
    let private = {
        let path = request.uri().path();
        path.starts_with("/orders") || path.starts_with("/sign-")
    };
    let nonce = random_token();
    let policy = content_security_policy(&nonce, &shop.settings.gateway.base_url());
    let mut response = NONCE.scope(nonce, next.run(request)).await;
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    for (name, value) in [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin-allow-popups",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_nonce_and_the_gateway_and_no_framing() {
        let policy = content_security_policy("abc123", "http://127.0.0.1:8080/");
        assert_eq!(
            policy,
            "default-src 'self'; script-src 'nonce-abc123' http://127.0.0.1:8080; \
             style-src 'nonce-abc123'; img-src 'self' data: http://127.0.0.1:8080; \
             connect-src 'self' http://127.0.0.1:8080; frame-src http://127.0.0.1:8080; \
             form-action 'self' http://127.0.0.1:8080; frame-ancestors 'none'; \
             base-uri 'none'; object-src 'none'"
        );
        let live = content_security_policy("n", "https://api.eximbay.com");
        assert!(
            live.contains("script-src 'nonce-n' https://api.eximbay.com https://*.eximbay.com;")
        );
    }
}
