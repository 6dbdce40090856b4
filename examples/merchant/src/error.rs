//! What a handler answers when it does not do what was asked: one error type, [`ShopError`],
//! turned into a response by axum ([`IntoResponse`]), so handlers return
//! `Result<_, ShopError>` and use `?`.
//!
//! Every answer is one of the shop's own texts, chosen by the variant: the error's details
//! (a database's message, which may quote a connection string) go to the log, never to the
//! page. The texts say what happened to the money: "nothing was changed" only where nothing
//! was sent, "the gateway may have done it" where the gateway was called.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::commands::RunError;
use crate::pages::Pages;
use crate::store::StoreError;

/// Why a `status_url` / `recurringURL` delivery was not accepted: answered in the gateway's
/// own protocol (an HTTP status and `rescode=…&resmsg=…`); anything but `rescode=0000`
/// makes the gateway deliver it again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a notification body (`9000`, 400).
    Malformed,
    /// The fgkey does not match (`9001`, 403).
    BadSignature,
    /// Signed, but not for this merchant or this order's amount and currency (`9002`, 409).
    Mismatch,
    /// No such order (`9003`, 404).
    UnknownOrder,
    /// The database failed; the gateway will redeliver (`9999`, 503).
    Unavailable,
}

impl Refusal {
    /// The HTTP status, the `rescode` and the `resmsg` answered.
    pub fn code(self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Refusal::Malformed => (StatusCode::BAD_REQUEST, "9000", "Malformed notification"),
            Refusal::BadSignature => (StatusCode::FORBIDDEN, "9001", "Invalid fgkey"),
            Refusal::Mismatch => (StatusCode::CONFLICT, "9002", "Does not match the order"),
            Refusal::UnknownOrder => (StatusCode::NOT_FOUND, "9003", "Unknown order"),
            Refusal::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "9999", "Try again"),
        }
    }
}

/// Everything a handler can answer instead of what was asked.
#[derive(Debug)]
pub enum ShopError {
    /// A gateway delivery refused ([`Refusal`]): the gateway's protocol, not a page.
    Delivery(Refusal),
    /// The database did not answer before anything was sent (`503`): "Nothing was changed".
    Unavailable(StoreError),
    /// The gateway was called, then the database failed before its answer was recorded
    /// (`503`): "The gateway may have done it — checking", never "nothing was changed".
    Unrecorded(StoreError),
    /// Checkout failed on the shop's side before the payment window opened (`500`):
    /// "Nothing was charged". The detail is logged.
    Checkout(String),
    /// A request the shop refuses, answered with a page of its own words: bad input, a form
    /// that failed its checks, no such order.
    Refused {
        /// The HTTP status.
        status: StatusCode,
        /// The page's title.
        title: &'static str,
        /// What happened and what to do.
        message: Cow<'static, str>,
    },
}

impl ShopError {
    /// A refusal with the shop's own `title` and `message`.
    pub fn refused(
        status: StatusCode,
        title: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        ShopError::Refused {
            status,
            title,
            message: message.into(),
        }
    }

    /// Checkout failed on the shop's side (the detail is logged, not shown).
    pub fn checkout(detail: impl std::fmt::Display) -> Self {
        ShopError::Checkout(detail.to_string())
    }
}

impl From<Refusal> for ShopError {
    fn from(refusal: Refusal) -> Self {
        ShopError::Delivery(refusal)
    }
}

impl From<RunError> for ShopError {
    fn from(error: RunError) -> Self {
        match error {
            RunError::NotSent(error) => ShopError::Unavailable(error),
            RunError::Unrecorded(error) => ShopError::Unrecorded(error),
        }
    }
}

impl std::fmt::Display for ShopError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShopError::Delivery(refusal) => write!(f, "delivery refused: {refusal:?}"),
            ShopError::Unavailable(error) => write!(f, "nothing sent: {error}"),
            ShopError::Unrecorded(error) => write!(f, "sent, answer not recorded: {error}"),
            ShopError::Checkout(detail) => write!(f, "checkout failed: {detail}"),
            ShopError::Refused { status, title, .. } => write!(f, "refused ({status}): {title}"),
        }
    }
}

impl std::error::Error for ShopError {}

impl IntoResponse for ShopError {
    fn into_response(self) -> Response {
        let pages = Pages::shared();
        match self {
            ShopError::Delivery(refusal) => {
                let (status, code, message) = refusal.code();
                (status, format!("rescode={code}&resmsg={message}")).into_response()
            }
            ShopError::Unavailable(error) => {
                tracing::error!(%error, "the database did not answer; nothing was sent");
                pages.error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The database did not answer",
                    "Nothing was changed; reload in a moment.",
                )
            }
            ShopError::Unrecorded(error) => {
                tracing::error!(%error, "the gateway was called; its answer was not recorded");
                pages.error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The gateway may have done it — checking",
                    "The request reached the gateway, but its answer could not be recorded \
                     (the database did not answer). The shop is checking with the gateway \
                     and the order will show the result. Do not repeat it.",
                )
            }
            ShopError::Checkout(detail) => {
                tracing::error!(detail, "checkout failed");
                pages.error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side",
                    "Nothing was charged. Please try again in a moment.",
                )
            }
            ShopError::Refused {
                status,
                title,
                message,
            } => pages.error(status, title, &message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(error: ShopError) -> (u16, String) {
        let response = error.into_response();
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn deliveries_are_answered_in_the_gateways_protocol() {
        for (refusal, expected) in [
            (
                Refusal::Malformed,
                (400, "rescode=9000&resmsg=Malformed notification"),
            ),
            (
                Refusal::BadSignature,
                (403, "rescode=9001&resmsg=Invalid fgkey"),
            ),
            (
                Refusal::Mismatch,
                (409, "rescode=9002&resmsg=Does not match the order"),
            ),
            (
                Refusal::UnknownOrder,
                (404, "rescode=9003&resmsg=Unknown order"),
            ),
            (Refusal::Unavailable, (503, "rescode=9999&resmsg=Try again")),
        ] {
            let (status, body) = answer(refusal.into()).await;
            assert_eq!((status, body.as_str()), expected);
        }
    }

    #[tokio::test]
    async fn each_page_says_what_happened_to_the_money_and_nothing_of_the_error() {
        let secret = "postgres://shop:hunter2@db.internal/shop";
        let store_error = || StoreError::Corrupt(secret.to_owned());

        let (status, page) = answer(ShopError::Unavailable(store_error())).await;
        assert_eq!(status, 503);
        assert!(page.contains("Nothing was changed"), "{page}");

        let (status, page) = answer(ShopError::Unrecorded(store_error())).await;
        assert_eq!(status, 503);
        assert!(
            page.contains("The gateway may have done it — checking"),
            "{page}"
        );
        assert!(!page.to_lowercase().contains("nothing was"), "{page}");

        let (status, page) = answer(ShopError::checkout(secret)).await;
        assert_eq!(status, 500);
        assert!(page.contains("Nothing was charged"), "{page}");

        let (status, page) = answer(ShopError::refused(
            StatusCode::BAD_REQUEST,
            "No such product",
            "Go back to the shop <and> choose one.",
        ))
        .await;
        assert_eq!(status, 400);
        assert!(page.contains("No such product"), "{page}");
        assert!(
            page.contains("Go back to the shop &lt;and&gt; choose one."),
            "{page}"
        );

        for error in [
            ShopError::Unavailable(store_error()),
            ShopError::Unrecorded(store_error()),
            ShopError::checkout(secret),
        ] {
            let (_, page) = answer(error).await;
            assert!(
                !page.contains("hunter2") && !page.contains("db.internal"),
                "{page}"
            );
        }
    }

    #[tokio::test]
    async fn a_command_error_keeps_its_meaning() {
        let (status, page) = answer(RunError::NotSent(StoreError::Contended).into()).await;
        assert_eq!(status, 503);
        assert!(page.contains("Nothing was changed"), "{page}");
        let (status, page) = answer(RunError::Unrecorded(StoreError::Contended).into()).await;
        assert_eq!(status, 503);
        assert!(page.contains("may have done it"), "{page}");
        assert!(!page.contains("Nothing was changed"), "{page}");
    }
}
