//! Errors: [`BuildError`] means nothing was sent; [`ResponseError`] describes a response
//! that is not a success.
//!
//! No error ever carries a key: builders only report field names and reasons, and
//! response errors keep the status and a truncated copy of the body the gateway sent.

use std::fmt;

use crate::codes::ResultCode;
use crate::config::ConfigError;
use crate::money::AmountError;

/// Why a request could not be built. Nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// An amount is invalid for the gateway or its currency.
    #[error("{field}: {source}")]
    Amount {
        /// The wire field.
        field: &'static str,
        /// What is wrong with it.
        source: AmountError,
    },
    /// A field (id, text, URL, date…) is invalid.
    #[error("{field} {reason}")]
    InvalidField {
        /// The wire field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The configuration is unusable.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// The operation needs the legacy secret key, which is not configured.
    #[error("the legacy secret key is not configured")]
    MissingSecretKey,
    /// The request could not be assembled (an invalid URL from a custom base URL).
    #[error("the request could not be assembled: {0}")]
    Http(String),
}

impl BuildError {
    pub(crate) fn amount(field: &'static str) -> impl FnOnce(AmountError) -> BuildError {
        move |source| BuildError::Amount { field, source }
    }
}

/// Longest body excerpt kept in an error.
pub const BODY_EXCERPT_LIMIT: usize = 512;

/// A short, lossy-UTF-8 copy of a response body, for diagnostics.
#[derive(Clone, PartialEq, Eq)]
pub struct BodyExcerpt {
    text: String,
    truncated: bool,
}

impl BodyExcerpt {
    /// Keeps at most [`BODY_EXCERPT_LIMIT`] bytes of `body`.
    pub fn new(body: &[u8]) -> Self {
        let cut = body.get(..BODY_EXCERPT_LIMIT).unwrap_or(body);
        BodyExcerpt {
            text: String::from_utf8_lossy(cut).into_owned(),
            truncated: body.len() > BODY_EXCERPT_LIMIT,
        }
    }

    /// The kept text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the body was longer than what is kept.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Debug for BodyExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?}{}",
            self.text,
            if self.truncated { "…" } else { "" }
        )
    }
}

/// Longest first line shown when an excerpt is displayed.
const DISPLAY_LINE_LIMIT: usize = 120;

impl BodyExcerpt {
    /// The first non-blank line, at most 120 characters, and whether
    /// anything was left out.
    pub fn first_line(&self) -> (&str, bool) {
        let mut lines = self.text.lines().map(str::trim).filter(|l| !l.is_empty());
        let first = lines.next().unwrap_or_default();
        let (shown, cut) = match first.char_indices().nth(DISPLAY_LINE_LIMIT) {
            Some((at, _)) => (first.get(..at).unwrap_or(first), true),
            None => (first, false),
        };
        (shown, cut || lines.next().is_some() || self.truncated)
    }
}

/// Shows what a person needs: an HTML page's `<title>`, or else the first line. A whole
/// HTML error page in a message helps nobody; the whole excerpt stays available through
/// [`BodyExcerpt::as_str`] and `Debug`.
impl fmt::Display for BodyExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(title) = self.html_title() {
            return write!(f, "an HTML page titled {title:?}");
        }
        let (line, more) = self.first_line();
        write!(f, "{line:?}{}", if more { " …" } else { "" })
    }
}

impl BodyExcerpt {
    /// The text of an HTML page's `<title>`, when the excerpt holds one.
    pub fn html_title(&self) -> Option<&str> {
        let lower = self.text.to_ascii_lowercase();
        let start = lower.find("<title>")? + "<title>".len();
        let end = start + lower.get(start..)?.find("</title>")?;
        let title = self.text.get(start..end)?.trim();
        (!title.is_empty() && title.len() <= DISPLAY_LINE_LIMIT).then_some(title)
    }
}

/// A gateway answer with a `rescode` other than `0000`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayError {
    /// HTTP status of the answer.
    pub status: u16,
    /// The result code.
    pub rescode: ResultCode,
    /// The gateway's message, for people (never compared).
    pub resmsg: String,
    /// The newer string error code (`EXPIRED_CARD`, …), when present; unknown codes are
    /// kept as [`ErrorCode::Other`](crate::codes::ErrorCode::Other).
    pub errcode: Option<crate::codes::ErrorCode>,
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gateway answered {}", self.rescode)?;
        if let Some(errcode) = &self.errcode {
            write!(f, " ({errcode})")?;
        }
        write!(f, ": {}", self.resmsg)
    }
}

/// Why a response is not a success.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The gateway answered and refused (`rescode` other than `0000`). Final, except for
    /// retryable codes such as `EM00`.
    #[error("{0}")]
    Declined(GatewayError),
    /// A non-2xx answer that is not a gateway result (an HTML error page, a proxy error).
    #[error(
        "HTTP {status} ({}) without a gateway result: {body}",
        content_type.as_deref().unwrap_or("no content type")
    )]
    HttpStatus {
        /// HTTP status.
        status: u16,
        /// The answer's `Content-Type`, when sent.
        content_type: Option<String>,
        /// Start of the body.
        body: BodyExcerpt,
    },
    /// A 2xx answer that cannot be read as the expected result.
    #[error("unreadable response (HTTP {status}): {reason}; body: {body}")]
    Malformed {
        /// HTTP status.
        status: u16,
        /// What is wrong.
        reason: String,
        /// Start of the body.
        body: BodyExcerpt,
    },
}

impl ResponseError {
    /// The gateway's answer, when it refused.
    pub fn gateway_error(&self) -> Option<&GatewayError> {
        match self {
            ResponseError::Declined(error) => Some(error),
            _ => None,
        }
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> u16 {
        match self {
            ResponseError::Declined(error) => error.status,
            ResponseError::HttpStatus { status, .. } | ResponseError::Malformed { status, .. } => {
                *status
            }
        }
    }

    pub(crate) fn malformed(status: u16, reason: impl Into<String>, body: &[u8]) -> Self {
        ResponseError::Malformed {
            status,
            reason: reason.into(),
            body: BodyExcerpt::new(body),
        }
    }
}
