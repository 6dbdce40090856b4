//! Remote verification of a notification: `POST /v1/payments/verify` with
//! `{"data": "<the raw notification body>"}`.
//!
//! The gateway answers `rescode` `0000` when the body is one it sent, unaltered. Local
//! verification with the secret key is in [`crate::notification`].

use http::{Request, Response};
use serde::Serialize;
use serde::de::IgnoredAny;

use super::{Operation, RawResponse, v1_post};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};

/// Ask the gateway whether a notification body is genuine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verify {
    /// The notification body exactly as received (still form-encoded).
    pub data: String,
}

#[derive(Serialize)]
struct VerifyBody<'a> {
    data: &'a str,
}

/// The gateway confirmed the notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// The gateway's message.
    pub resmsg: String,
}

impl Operation for Verify {
    type Output = Verified;
    const NAME: &'static str = "verify";
    const MOVES_MONEY: bool = false;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        if self.data.is_empty() {
            return Err(BuildError::InvalidField {
                field: "data",
                reason: "must not be empty",
            });
        }
        v1_post(
            cfg,
            &["/v1/payments/verify"],
            &VerifyBody { data: &self.data },
        )
    }

    fn parse<B: AsRef<[u8]>>(&self, resp: Response<B>) -> Result<Verified, ResponseError> {
        let reply = RawResponse::of(&resp).v1::<IgnoredAny, IgnoredAny, IgnoredAny>()?;
        Ok(Verified {
            resmsg: reply.resmsg.unwrap_or_default(),
        })
    }
}
