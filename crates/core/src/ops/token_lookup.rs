//! Read a stored card: `GET /v1/payments/tokenbilling/{token_id}`.
//!
//! The path and verb are inferred from a public sample; no source shows the answer beyond
//! `rescode` / `resmsg`. So the answer is read for what it can safely say: `rescode` 0000
//! means the gateway knows the token; a `status` (top level or in a `token` object) of
//! `DELETED` / `INACTIVE` means it can no longer be charged; card fields are kept when sent.
//! A refusal (`rescode` other than 0000) is an error, as for every call — whether it means
//! "no such token" is not documented, so it is never read as a deletion.

use http::{Request, Response};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::token_rebill::CardInfo;
use super::{Operation, RawResponse, v1_get};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::TokenId;

/// Read a stored card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenLookup {
    /// The stored card.
    pub token_id: TokenId,
}

#[derive(Deserialize)]
struct LookupWire {
    status: Option<String>,
    token: Option<TokenWire>,
    card_info: Option<CardInfo>,
}

#[derive(Deserialize)]
struct TokenWire {
    status: Option<String>,
}

/// What the gateway says of a stored card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenShown {
    /// The gateway's message.
    pub resmsg: String,
    /// The card.
    pub token_id: TokenId,
    /// `status` as sent (trimmed), when sent.
    pub status: Option<String>,
    /// The card's masked details, when sent.
    pub card_info: Option<CardInfo>,
}

impl TokenShown {
    /// Whether the card can still be charged: known, and not reported deleted or inactive.
    pub fn is_active(&self) -> bool {
        !self.status.as_deref().is_some_and(|status| {
            status.eq_ignore_ascii_case("DELETED") || status.eq_ignore_ascii_case("INACTIVE")
        })
    }
}

impl Operation for TokenLookup {
    type Output = TokenShown;
    const NAME: &'static str = "token_lookup";
    const MOVES_MONEY: bool = false;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        self.token_id.check_for_request()?;
        v1_get(cfg, &["/v1/payments/tokenbilling/", self.token_id.as_str()])
    }

    fn parse<B: AsRef<[u8]>>(&self, resp: Response<B>) -> Result<TokenShown, ResponseError> {
        let raw = RawResponse::of(&resp);
        let head = raw.v1::<IgnoredAny, IgnoredAny, IgnoredAny>()?;
        // The rest of the answer is read leniently: a shape we do not know is no status.
        let wire: Option<LookupWire> = serde_json::from_slice(raw.body).ok();
        let (status, card_info) = match wire {
            Some(wire) => (
                wire.status
                    .or_else(|| wire.token.and_then(|t| t.status))
                    .map(|s| s.trim().to_owned()),
                wire.card_info.or(head.card_info),
            ),
            None => (None, head.card_info),
        };
        Ok(TokenShown {
            resmsg: head.resmsg.unwrap_or_default(),
            token_id: self.token_id.clone(),
            status,
            card_info,
        })
    }
}
