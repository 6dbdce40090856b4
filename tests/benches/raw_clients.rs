//! The raw clients the adapters are measured against, built once here so every bench
//! compares with the same baseline.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![allow(dead_code)]

/// A `reqwest::Client` with the async adapter's settings (no redirects, the same connect
/// and whole-call timeouts and User-Agent, rustls) and nothing else of the adapter.
pub fn reqwest_with_adapter_settings(options: &eximbay_async::Options) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(options.connect_timeout)
        .timeout(options.call_timeout)
        .user_agent(options.user_agent.clone())
        .use_rustls_tls()
        .build()
        .expect("a reqwest client")
}
