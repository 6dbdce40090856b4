//! The sandbox's HTTP surfaces, one module each: [`v1`] (the REST API), [`legacy`]
//! (`DirectProcessor.krp`), [`window`] (the buyer's payment window), [`test_controls`] (the
//! `/_sim/` test controls). Each reads a request
//! with the sandbox's own wire types (`wire`), turns it into a command on the state
//! modules, and turns the result into the gateway's answer. Routes depend on the state;
//! the state never on a route.

use std::time::Duration;

use http::{Request, Response, StatusCode};

use crate::callbacks::Callback;
use crate::sandbox::{FrontDoor, Sandbox};

mod answers;
pub mod checkout;
mod confirm;
mod direct;
pub mod legacy;
pub mod pages;
mod retrieve;
mod shared;
pub mod test_controls;
mod tokenbilling;
pub mod v1;
pub mod window;
mod window_form;
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
pub(crate) fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response<Vec<u8>> {
    // Room for the largest common answer (a refund's, about 500 bytes) up front, so the
    // buffer is not grown several times while the sandbox lock is held.
    let mut bytes = Vec::with_capacity(1024);
    if serde_json::to_writer(&mut bytes, body).is_err() {
        bytes.clear();
    }
    let mut response = Response::new(bytes);
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// The gateway's refusal: `{"rescode", "resmsg"}` with HTTP 200.
pub(crate) fn gateway_error(rescode: &str, resmsg: &str) -> Response<Vec<u8>> {
    json_response(StatusCode::OK, &answers::BareResult { rescode, resmsg })
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

/// What a request is, read without the sandbox's state: the size check, the route, and
/// for the v1 API authentication and the parsed body. The server prepares a request
/// before it takes the sandbox lock, so a slow or hostile body never holds it.
#[derive(Debug)]
pub(crate) struct Prepared(pub(crate) Route);

impl Prepared {
    /// Whether it reads a page of a growing state (`/_sim/ledger`, `/_sim/inbox`, …).
    #[cfg(feature = "server")]
    pub(crate) fn is_page_read(&self) -> bool {
        matches!(&self.0, Route::TestControl(read) if read.is_page())
    }
}

#[derive(Debug)]
pub(crate) enum Route {
    TooLarge,
    TestControl(test_controls::ControlRequest),
    Legacy(legacy::LegacyForm),
    Window(window::WindowRequest),
    V1(Result<v1::V1Request, Box<Response<Vec<u8>>>>),
    NotFound,
}

/// Reads `request` with the only state it needs, the sandbox's [`FrontDoor`] (fixed when
/// the sandbox is made): v1 authentication and parsing, DirectProcessor and inbox fgkey
/// checks, the payment window's forms checked whole.
pub(crate) fn prepare(front_door: &FrontDoor, request: &Request<Vec<u8>>) -> Prepared {
    let path = request.uri().path();
    Prepared(if request.body().len() > MAX_BODY_BYTES {
        Route::TooLarge
    } else if path.starts_with("/_sim/") {
        Route::TestControl(test_controls::prepare(front_door, request))
    } else if path == eximbay_core::config::DIRECT_PROCESSOR_PATH {
        Route::Legacy(legacy::parse(&front_door.signer, request))
    } else if window::serves(path) {
        Route::Window(window::parse(front_door, request, path))
    } else if path.starts_with("/v1/") {
        Route::V1(v1::parse(&front_door.expected_authorization, request, path))
    } else {
        Route::NotFound
    })
}

/// What the locked part of a request produced. What would take work proportional to the
/// sandbox's size is handed back instead of done: a page copied under the lock, serialised
/// after it; a clock advance, run in bounded steps with the lock released between them.
#[derive(Debug)]
pub(crate) enum Locked {
    /// The answer.
    Done(Handled),
    /// A copied page to serialise.
    Page(pages::Page),
    /// A clock advance to run.
    Advance(pages::ClockRun),
}

impl Locked {
    /// Finishes the work at once, holding the sandbox (in-process, there is no lock).
    pub(crate) fn finish(self, sandbox: &mut Sandbox) -> Handled {
        match self {
            Locked::Done(handled) => handled,
            Locked::Page(page) => page.into_handled(),
            Locked::Advance(mut run) => {
                let mut callbacks = Vec::new();
                loop {
                    let (step, done) = run.step(sandbox, usize::MAX);
                    callbacks.extend(step);
                    if done {
                        return run.answer(sandbox, callbacks);
                    }
                }
            }
        }
    }
}

impl From<Handled> for Locked {
    fn from(handled: Handled) -> Self {
        Locked::Done(handled)
    }
}
