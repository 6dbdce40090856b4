//! Terminate a recurring payment (Eximbay's recurring-payment guide, §3.2): legacy form POST to DirectProcessor.
//!
//! Fields, in the integration guide's order: `mid`, `txntype=RC_TERMINATE`, `recurringID`,
//! `param1..3` (only when set). The reply is `k=v&k=v` text with `mid, txntype,
//! recurringID, rescode, resmsg, param1..3`.

use http::{Request, Response};
use serde::Serialize;

use super::{LegacyReply, MerchantParams, Operation, RawResponse, legacy_post};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::RecurringId;

/// Stop a recurring payment for good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecurringTerminate {
    /// The registration.
    pub recurring_id: RecurringId,
    /// Merchant data echoed back.
    pub params: MerchantParams,
}

/// The gateway terminated the recurring payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecurringTerminated {
    /// The registration.
    pub recurring_id: RecurringId,
    /// The gateway's message.
    pub resmsg: String,
    /// `param1..3` echoed back.
    pub params: [Option<String>; 3],
}

pub(crate) fn echoed_params(reply: &LegacyReply) -> [Option<String>; 3] {
    reply.params().map(|p| p.map(str::to_owned))
}

impl Operation for RecurringTerminate {
    type Output = RecurringTerminated;
    const NAME: &'static str = "recurring_terminate";
    // No money moves, but the change cannot be undone and a repeat is refused ("already
    // terminated"): after an unknown outcome a blind retry would report a failure for a
    // termination that happened. So an unknown outcome is ambiguous, as for money.
    const MOVES_MONEY: bool = true;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        self.recurring_id.check_for_request()?;
        let mut fields = vec![
            ("mid", cfg.mid().as_str()),
            ("txntype", "RC_TERMINATE"),
            ("recurringID", self.recurring_id.as_str()),
        ];
        fields.extend(self.params.fields()?);
        legacy_post(cfg, &fields)
    }

    fn parse<B: AsRef<[u8]>>(
        &self,
        resp: Response<B>,
    ) -> Result<RecurringTerminated, ResponseError> {
        let reply = RawResponse::of(&resp).legacy()?;
        Ok(RecurringTerminated {
            recurring_id: reply
                .recurring_id()
                .map_or_else(|| self.recurring_id.clone(), RecurringId::from),
            resmsg: reply.resmsg().to_owned(),
            params: echoed_params(&reply),
        })
    }
}
