//! What every adapter shares about the transport: the options it honours and which URLs it
//! may use. Plain data and pure checks; the adapters do the I/O.

use std::time::Duration;

use crate::config::Config;

/// Settings an adapter applies to its HTTP client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportOptions {
    /// Longest wait for a TCP + TLS connection.
    pub connect_timeout: Duration,
    /// Longest time for one whole call (connect, send, receive).
    pub call_timeout: Duration,
    /// Largest response body accepted.
    pub max_response_bytes: u64,
    /// `User-Agent` header.
    pub user_agent: String,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            connect_timeout: Duration::from_secs(5),
            call_timeout: Duration::from_secs(30),
            max_response_bytes: 256 * 1024,
            user_agent: concat!("eximbay-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// Whether a URL may be used: https anywhere, plain http only to loopback hosts (a local
/// sandbox), never anything else.
pub fn is_allowed_url(uri: &http::Uri) -> bool {
    match uri.scheme_str() {
        Some("https") => true,
        Some("http") => uri.host().is_some_and(|host| {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }),
        _ => false,
    }
}

/// Checks both of a configuration's hosts; the error is the first URL that may not be used.
pub fn check_config_urls(cfg: &Config) -> Result<(), String> {
    for url in [cfg.v1_base_url().to_owned(), cfg.direct_processor_url()] {
        if !url
            .parse::<http::Uri>()
            .is_ok_and(|uri| is_allowed_url(&uri))
        {
            return Err(url);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        for ok in [
            "https://api.eximbay.com",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:80",
        ] {
            assert!(is_allowed_url(&ok.parse().unwrap()), "{ok}");
        }
        for bad in [
            "http://api.eximbay.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "http://127.0.0.1.example.com",
        ] {
            assert!(!is_allowed_url(&bad.parse().unwrap()), "{bad}");
        }
    }
}
