//! A loopback test server on real sockets that can misbehave on purpose: answer any
//! status, redirect, send huge bodies, stall after reading the request, or reset the
//! connection after reading it. Requests are parsed with `httparse` and recorded.
//!
//! This is a test fixture for transport conformance, not an HTTP server: it reads one
//! request per connection and always closes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use http::{Request, Response};

/// What to do with a request.
pub enum Action {
    /// Answer with this response (`content-length` and `connection: close` are added).
    Respond(Response<Vec<u8>>),
    /// Write these bytes as they are, then close.
    Raw(Vec<u8>),
    /// Say nothing for this long, then close.
    Stall(Duration),
    /// Reset the connection (RST) without answering.
    Reset,
}

type Handler = dyn Fn(&Request<Vec<u8>>) -> Action + Send + Sync;

/// A running loopback server.
pub struct LoopbackServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request<Vec<u8>>>>>,
}

impl LoopbackServer {
    /// Starts a server on 127.0.0.1 with a free port.
    pub fn start(handler: impl Fn(&Request<Vec<u8>>) -> Action + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = requests.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let handler = handler.clone();
                let recorded = recorded.clone();
                thread::spawn(move || serve(stream, &*handler, &recorded));
            }
        });
        LoopbackServer { addr, requests }
    }

    /// `http://127.0.0.1:port`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Request<Vec<u8>>> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(clone_request)
            .collect()
    }
}

fn clone_request(r: &Request<Vec<u8>>) -> Request<Vec<u8>> {
    let mut copy = Request::builder()
        .method(r.method())
        .uri(r.uri())
        .body(r.body().clone())
        .unwrap();
    *copy.headers_mut() = r.headers().clone();
    copy
}

fn read_request(stream: &mut TcpStream) -> Option<Request<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 8192];
    loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        let httparse::Status::Complete(header_len) = parsed.parse(&buf).ok()? else {
            continue;
        };
        let method = parsed.method?.to_owned();
        let path = parsed.path?.to_owned();
        let fields: Vec<(String, Vec<u8>)> = parsed
            .headers
            .iter()
            .map(|h| (h.name.to_owned(), h.value.to_vec()))
            .collect();
        let length: usize = fields
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| std::str::from_utf8(value).ok()?.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < header_len + length {
            let n = stream.read(&mut chunk).ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let mut builder = Request::builder()
            .method(method.as_str())
            .uri(path.as_str());
        for (name, value) in &fields {
            builder = builder.header(name.as_str(), value.as_slice());
        }
        return builder
            .body(buf[header_len..header_len + length].to_vec())
            .ok();
    }
}

fn serve(mut stream: TcpStream, handler: &Handler, recorded: &Mutex<Vec<Request<Vec<u8>>>>) {
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    let action = handler(&request);
    recorded.lock().unwrap().push(request);
    match action {
        Action::Respond(response) => {
            let _ = stream.write_all(&serialize(&response));
        }
        Action::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Action::Stall(duration) => thread::sleep(duration),
        Action::Reset => {
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        }
    }
    let _ = stream.flush();
}

/// HTTP/1.1 bytes of a response, with `content-length` and `connection: close`.
pub fn serialize(response: &Response<Vec<u8>>) -> Vec<u8> {
    let status = response.status();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Status")
    )
    .into_bytes();
    for (name, value) in response.headers() {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(
        format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            response.body().len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(response.body());
    out
}
