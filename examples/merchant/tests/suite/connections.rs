//! The shop never stops: idle connections (and a client that never finishes its headers)
//! are closed after the header read timeout, and the shop serves meanwhile.

use std::time::{Duration, Instant};

use crate::support::*;
use eximbay_merchant::HEADER_READ_TIMEOUT;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread")]
async fn idle_connections_are_closed_after_the_header_timeout_and_the_shop_serves_meanwhile() {
    let (_sandbox, (_dir, _), app) = one_shop().await;
    let addr = app.url.trim_start_matches("http://").to_owned();

    // 200 connections that never send anything, and one that stops mid-headers.
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: shop\r\n")
        .await
        .unwrap();

    // The shop answers others meanwhile.
    let response = client()
        .get(format!("{}/", app.url))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("the shop serves while idle connections are open");
    assert_eq!(response.status(), 200);

    // Every one of them is closed by the shop within the timeout (and a little).
    let started = Instant::now();
    idle.push(slow);
    for mut connection in idle {
        let mut buf = [0u8; 256];
        let read = tokio::time::timeout(
            HEADER_READ_TIMEOUT + Duration::from_secs(5),
            connection.read(&mut buf),
        )
        .await
        .expect("the shop closes an idle connection");
        // Closed (0 bytes), reset, or a 408 answer before closing: never left open.
        if let Ok(n) = read {
            let text = String::from_utf8_lossy(&buf[..n]);
            assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
        }
    }
    assert!(started.elapsed() <= HEADER_READ_TIMEOUT + Duration::from_secs(5));
}
