//! Terminate a recurring payment through the v1 API:
//! `POST /v1/payments/recurring/{recurring_id}/delete` with body `{}`.

use http::{Request, Response};
use serde::Serialize;
use serde::de::IgnoredAny;

use super::{Operation, RawResponse, v1_post};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::RecurringId;

/// Delete (terminate) a recurring registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V1RecurringDelete {
    /// The registration.
    pub recurring_id: RecurringId,
}

/// The registration is terminated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct V1RecurringDeleted {
    /// The registration.
    pub recurring_id: RecurringId,
    /// The gateway's message.
    pub resmsg: String,
}

#[derive(Serialize)]
struct EmptyBody {}

impl Operation for V1RecurringDelete {
    type Output = V1RecurringDeleted;
    const NAME: &'static str = "v1_recurring_delete";
    // No money moves, but the change cannot be undone and a repeat is refused ("already
    // terminated"): after an unknown outcome a blind retry would report a failure for a
    // termination that happened. So an unknown outcome is ambiguous, as for money.
    const MOVES_MONEY: bool = true;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        self.recurring_id.check_for_request()?;
        let path = [
            "/v1/payments/recurring/",
            self.recurring_id.as_str(),
            "/delete",
        ];
        v1_post(cfg, &path, &EmptyBody {})
    }

    fn parse<B: AsRef<[u8]>>(
        &self,
        resp: Response<B>,
    ) -> Result<V1RecurringDeleted, ResponseError> {
        let reply = RawResponse::of(&resp).v1::<IgnoredAny, IgnoredAny, IgnoredAny>()?;
        Ok(V1RecurringDeleted {
            recurring_id: self.recurring_id.clone(),
            resmsg: reply.resmsg.unwrap_or_default(),
        })
    }
}
