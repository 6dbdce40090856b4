//! Delete a stored card: `POST /v1/payments/tokenbilling/{token_id}/delete`.
//!
//! Irreversible. The path is the token-billing reference's, as public integration samples
//! show it; no sample shows the body, so the merchant is named the way the rebill body names
//! it (`{"merchant": {"mid"}}`). An unknown outcome is settled with the look-up, never by
//! sending it again blindly.

use http::{Request, Response};
use serde::Serialize;
use serde::de::IgnoredAny;

use super::token_rebill::MerchantMid;
use super::{Operation, RawResponse, v1_post};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::TokenId;

/// Delete a stored card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenDelete {
    /// The stored card.
    pub token_id: TokenId,
}

#[derive(Serialize)]
struct DeleteBody<'a> {
    merchant: MerchantMid<'a>,
}

/// The card was deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenDeleted {
    /// The gateway's message.
    pub resmsg: String,
    /// The deleted card.
    pub token_id: TokenId,
}

impl Operation for TokenDelete {
    type Output = TokenDeleted;
    const NAME: &'static str = "token_delete";
    // Not money, but for good: a repeat is refused, so an unknown outcome is reconciled.
    const MOVES_MONEY: bool = true;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        self.token_id.check_for_request()?;
        let body = DeleteBody {
            merchant: MerchantMid {
                mid: cfg.mid().as_str(),
            },
        };
        let path = [
            "/v1/payments/tokenbilling/",
            self.token_id.as_str(),
            "/delete",
        ];
        v1_post(cfg, &path, &body)
    }

    fn parse<B: AsRef<[u8]>>(&self, resp: Response<B>) -> Result<TokenDeleted, ResponseError> {
        let raw = RawResponse::of(&resp);
        let reply = raw.v1::<IgnoredAny, IgnoredAny, IgnoredAny>()?;
        Ok(TokenDeleted {
            resmsg: reply.resmsg.unwrap_or_default(),
            token_id: self.token_id.clone(),
        })
    }
}
