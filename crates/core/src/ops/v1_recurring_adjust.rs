//! Change the amount of a recurring payment through the v1 API:
//! `POST /v1/payments/recurring/{recurring_id}/adjust` with `{"adjust_amount"}`.

use http::{Request, Response};
use serde::Serialize;
use serde::de::IgnoredAny;

use super::{Operation, RawResponse, v1_post};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::RecurringId;
use crate::money::{Amount, Currency};

/// Change the monthly amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V1RecurringAdjust {
    /// The registration.
    pub recurring_id: RecurringId,
    /// The registration's currency (checks the amount's decimals; not sent).
    pub currency: Currency,
    /// The new amount.
    pub amount: Amount,
}

/// The amount is changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct V1RecurringAdjusted {
    /// The registration.
    pub recurring_id: RecurringId,
    /// The new amount (as requested).
    pub amount: Amount,
    /// The gateway's message.
    pub resmsg: String,
}

#[derive(Serialize)]
struct AdjustBody<'a> {
    adjust_amount: &'a str,
}

impl Operation for V1RecurringAdjust {
    type Output = V1RecurringAdjusted;
    const NAME: &'static str = "v1_recurring_adjust";
    const MOVES_MONEY: bool = false;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        self.recurring_id.check_for_request()?;
        self.amount
            .check_currency(&self.currency)
            .map_err(BuildError::amount("adjust_amount"))?;
        let path = [
            "/v1/payments/recurring/",
            self.recurring_id.as_str(),
            "/adjust",
        ];
        v1_post(
            cfg,
            &path,
            &AdjustBody {
                adjust_amount: self.amount.as_str(),
            },
        )
    }

    fn parse<B: AsRef<[u8]>>(
        &self,
        resp: Response<B>,
    ) -> Result<V1RecurringAdjusted, ResponseError> {
        let reply = RawResponse::of(&resp).v1::<IgnoredAny, IgnoredAny, IgnoredAny>()?;
        Ok(V1RecurringAdjusted {
            recurring_id: self.recurring_id.clone(),
            amount: self.amount.clone(),
            resmsg: reply.resmsg.unwrap_or_default(),
        })
    }
}
