//! Change the amount of a recurring payment (Eximbay's recurring-payment guide, §3.3): legacy form POST to
//! DirectProcessor.
//!
//! Fields, in the integration guide's order: `mid`, `txntype=RC_ADJUST`, `adjustType=A` (amount change,
//! the only type), `recurringID`, `adjustAmount`, `param1..3` (only when set). The gateway
//! refuses an adjustment on the charge day (KST); [`crate::recurring::Recurring::adjust`]
//! checks that before building this operation.

use http::{Request, Response};
use serde::Serialize;

use super::recurring_terminate::echoed_params;
use super::{MerchantParams, Operation, RawResponse, legacy_post};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::RecurringId;
use crate::money::{Amount, Currency};

/// Change the amount charged each month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecurringAdjust {
    /// The registration.
    pub recurring_id: RecurringId,
    /// The registration's currency (checks the amount's decimals; not sent).
    pub currency: Currency,
    /// The new amount.
    pub amount: Amount,
    /// Merchant data echoed back.
    pub params: MerchantParams,
}

/// The gateway changed the amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecurringAdjusted {
    /// The registration.
    pub recurring_id: RecurringId,
    /// The new amount (the one requested: the reply does not repeat it).
    pub amount: Amount,
    /// The gateway's message.
    pub resmsg: String,
    /// `param1..3` echoed back.
    pub params: [Option<String>; 3],
}

impl Operation for RecurringAdjust {
    type Output = RecurringAdjusted;
    const NAME: &'static str = "recurring_adjust";
    const MOVES_MONEY: bool = false;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        self.recurring_id.check_for_request()?;
        self.amount
            .check_currency(&self.currency)
            .map_err(BuildError::amount("adjustAmount"))?;
        let mut fields = vec![
            ("mid", cfg.mid().as_str()),
            ("txntype", "RC_ADJUST"),
            ("adjustType", "A"),
            ("recurringID", self.recurring_id.as_str()),
            ("adjustAmount", self.amount.as_str()),
        ];
        fields.extend(self.params.fields()?);
        legacy_post(cfg, &fields)
    }

    fn parse<B: AsRef<[u8]>>(&self, resp: Response<B>) -> Result<RecurringAdjusted, ResponseError> {
        let reply = RawResponse::of(&resp).legacy()?;
        Ok(RecurringAdjusted {
            recurring_id: reply
                .recurring_id()
                .map_or_else(|| self.recurring_id.clone(), RecurringId::from),
            amount: self.amount.clone(),
            resmsg: reply.resmsg().to_owned(),
            params: echoed_params(&reply),
        })
    }
}
