//! The sandbox's HTTP surfaces, one module each: [`v1`] (the REST API), [`legacy`]
//! (`DirectProcessor.krp`), [`window`] (the buyer's payment window), [`control`] (the
//! `/_sim/` test controls). Each reads a request
//! with the sandbox's own wire types (`wire`), turns it into a command on the state
//! modules, and turns the result into the gateway's answer. Routes depend on the state;
//! the state never on a route.

use std::time::Duration;

use http::{Request, Response, StatusCode};
use serde_json::{Value, json};

use crate::callbacks::Callback;
use crate::faults::FaultKind;
use crate::sandbox::Sandbox;

pub mod checkout;
pub mod control;
pub mod legacy;
pub mod v1;
pub mod window;
mod window_pages;
mod wire;

/// Largest request body any route reads (every gateway request, form and control body is
/// far smaller): larger ones are refused with 413 before parsing.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Answer now.
    Respond,
    /// Answer after a delay.
    Delay(Duration),
    /// The request was applied; drop the connection without answering.
    Drop,
}

/// What to do with one request.
#[derive(Debug)]
pub struct Handled {
    /// The answer.
    pub response: Response<Vec<u8>>,
    /// How to deliver it.
    pub disposition: Disposition,
    /// Callbacks to deliver (until acknowledged,
    /// [`CALLBACK_ATTEMPTS`](crate::callbacks::CALLBACK_ATTEMPTS) at most).
    pub callbacks: Vec<Callback>,
}

impl Handled {
    /// An answer now, with no callback.
    pub(crate) fn respond(response: Response<Vec<u8>>) -> Self {
        Handled::with_callbacks(response, Vec::new())
    }

    /// An answer now, and callbacks to deliver.
    pub(crate) fn with_callbacks(response: Response<Vec<u8>>, callbacks: Vec<Callback>) -> Self {
        Handled {
            response,
            disposition: Disposition::Respond,
            callbacks,
        }
    }
}

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<Vec<u8>> {
    let mut response = Response::new(serde_json::to_vec(body).unwrap_or_default());
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// The gateway's refusal: `{"rescode", "resmsg"}` with HTTP 200.
pub(crate) fn gateway_error(rescode: &str, resmsg: &str) -> Response<Vec<u8>> {
    json_response(
        StatusCode::OK,
        &json!({"rescode": rescode, "resmsg": resmsg}),
    )
}

/// A text answer.
pub(crate) fn text_response(
    status: StatusCode,
    content_type: &'static str,
    body: String,
) -> Response<Vec<u8>> {
    let mut response = Response::new(body.into_bytes());
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}

/// The page a front proxy answers with for a path nothing serves.
pub(crate) fn not_found() -> Response<Vec<u8>> {
    text_response(
        StatusCode::NOT_FOUND,
        "text/html",
        "<html><body>Not Found</body></html>".to_owned(),
    )
}

impl Sandbox {
    /// Handles one request: the test controls, or a gateway surface behind the scripted
    /// faults.
    pub fn handle(&mut self, request: &Request<Vec<u8>>) -> Handled {
        if request.body().len() > MAX_BODY_BYTES {
            return Handled::respond(text_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "text/plain",
                format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
            ));
        }
        let path = request.uri().path().to_owned();
        if path.starts_with("/_sim/") {
            return control::handle(self, request, &path);
        }
        let fault = self.faults.take(&path);
        match &fault {
            Some(FaultKind::Http500) => {
                return Handled::respond(text_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain",
                    "Internal Server Error".to_owned(),
                ));
            }
            Some(FaultKind::Html502) => {
                return Handled::respond(text_response(
                    StatusCode::BAD_GATEWAY,
                    "text/html",
                    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>".to_owned(),
                ));
            }
            Some(FaultKind::Decline { rescode, status }) => {
                let mut response = gateway_error(rescode, "Declined (scripted)");
                if let Some(status) = status.and_then(|s| StatusCode::from_u16(s).ok()) {
                    *response.status_mut() = status;
                }
                return Handled::respond(response);
            }
            _ => {}
        }
        let mut handled = if path == eximbay_core::config::DIRECT_PROCESSOR_PATH {
            legacy::handle(self, request)
        } else if window::serves(&path) {
            window::handle(self, request, &path)
        } else if path.starts_with("/v1/") {
            v1::handle(self, request, &path)
        } else {
            Handled::respond(not_found())
        };
        handled.disposition = match fault {
            Some(FaultKind::Delay { ms }) => Disposition::Delay(Duration::from_millis(ms)),
            Some(FaultKind::ApplyThenDrop) => Disposition::Drop,
            _ => Disposition::Respond,
        };
        handled
    }
}
