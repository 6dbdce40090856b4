//! The sandbox's entry point: one request in, one answer out. Beside the struct it serves
//! so that a reader finds `Sandbox::handle` where `Sandbox` is; it is the one part of the
//! sandbox that knows the routes (they are handed the `Sandbox`, so the struct's own file
//! stays free of them and no import runs in a circle).

use std::time::Duration;

use http::{Request, StatusCode};

use super::Sandbox;
use crate::faults::FaultKind;
#[cfg(feature = "server")]
use crate::routes::Locked;
use crate::routes::{
    Disposition, Handled, MAX_BODY_BYTES, Prepared, Route, gateway_error, legacy, not_found,
    prepare, test_controls, text_response, v1, window,
};

impl Sandbox {
    /// The part of a [`prepare`]d request done holding the server's lock: as
    /// [`Sandbox::handle_prepared`], except that a control's page or clock advance is
    /// handed back to be finished after (or between holds of) the lock. Only the server
    /// holds a lock; in-process callers use [`Sandbox::handle`].
    #[cfg(feature = "server")]
    pub(crate) fn handle_locked(
        &mut self,
        request: &Request<Vec<u8>>,
        prepared: Prepared,
    ) -> Locked {
        match prepared.0 {
            Route::TestControl(read) => test_controls::handle(self, request, read),
            route => Locked::Done(self.handle_prepared(request, Prepared(route))),
        }
    }

    /// Handles one request: the test controls, or a gateway surface behind the scripted
    /// faults.
    pub fn handle(&mut self, request: &Request<Vec<u8>>) -> Handled {
        let prepared = prepare(self.front_door(), request);
        self.handle_prepared(request, prepared)
    }

    /// Handles a request [`prepare`]d outside the lock: everything that reads or changes
    /// the sandbox's state, in the same order as [`Sandbox::handle`] (a scripted fault
    /// answers before a malformed body does, as it would on a real gateway's front).
    pub(crate) fn handle_prepared(
        &mut self,
        request: &Request<Vec<u8>>,
        prepared: Prepared,
    ) -> Handled {
        let route = match prepared.0 {
            Route::TooLarge => {
                return Handled::respond(text_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "text/plain",
                    format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
                ));
            }
            Route::TestControl(read) => {
                return test_controls::handle(self, request, read).finish(self);
            }
            route => route,
        };
        let path = request.uri().path();
        let fault = self.faults.take(path);
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
        let mut handled = match route {
            Route::Legacy(form) => legacy::handle(self, form),
            Route::Window(window_request) => window::handle(self, window_request),
            Route::V1(Ok(command)) => v1::apply(self, command),
            Route::V1(Err(refused)) => Handled::respond(*refused),
            Route::TooLarge | Route::TestControl(_) | Route::NotFound => {
                Handled::respond(not_found())
            }
        };
        handled.disposition = match fault {
            Some(FaultKind::Delay { ms }) => Disposition::Delay(Duration::from_millis(ms)),
            Some(FaultKind::ApplyThenDrop) => Disposition::Drop,
            _ => Disposition::Respond,
        };
        handled
    }
}
