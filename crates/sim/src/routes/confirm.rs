//! Confirming a payer authentication into a payment: `POST /v1/payments/confirm` and the
//! legacy `PAYMENT_PA` / `AUTHORIZE_PA` (guide §2.3, digest §4.4). The authentication must be
//! known and for the same order, currency and amount; a second confirm of it is refused or
//! answered with the first payment, as `second_confirm` says.

use http::{Response, StatusCode};

use super::answers::{Confirmed, ConfirmedPayment};
use super::shared::{make_payment, wrong_mid};
use super::{gateway_error, json_response, wire};
use crate::behaviour::{SecondConfirm, Surface};
use crate::ledger::valid_amount;
use crate::sandbox::Sandbox;

/// A confirm's outcome: the payment's transaction id, or the refusal's rescode and message.
pub(crate) fn confirm_payment(
    sandbox: &mut Sandbox,
    transaction_type: &str,
    payer_auth_id: &str,
    order_id: &str,
    currency: &str,
    amount: &str,
) -> Result<String, (&'static str, String)> {
    if !matches!(transaction_type, "PAYMENT_PA" | "AUTHORIZE_PA") {
        return Err(("EC00", "Invalid transaction_type".to_owned()));
    }
    let first = sandbox
        .authentications
        .authentication(payer_auth_id)
        .and_then(|auth| auth.confirmed.clone());
    if let (Some(first), SecondConfirm::AnswerFirst) = (first, sandbox.behaviour().second_confirm) {
        return Ok(first);
    }
    sandbox
        .authentications
        .check_confirm(payer_auth_id, order_id, currency, amount)
        .map_err(|refusal| (refusal.rescode, refusal.message.to_owned()))?;
    let (tid, _) = make_payment(sandbox, order_id, currency, amount, transaction_type)?;
    sandbox.authentications.confirmed(payer_auth_id, &tid);
    Ok(tid)
}

/// `POST /v1/payments/confirm`: answered with its `transaction_id` at the top level, as the
/// reference shows, and in `payment`, as other v1 answers do.
pub(crate) fn confirm(sandbox: &mut Sandbox, request: wire::ConfirmRequest) -> Response<Vec<u8>> {
    if let Some(response) = wrong_mid(sandbox, &request.mid) {
        return response;
    }
    let p = &request.payment;
    if !matches!(
        request.transaction_type.as_str(),
        "PAYMENT_PA" | "AUTHORIZE_PA"
    ) {
        return gateway_error("EC00", "Invalid transaction_type");
    }
    if !p.lang_is_valid() {
        return gateway_error("EC00", "Invalid lang");
    }
    let tid = match confirm_payment(
        sandbox,
        &request.transaction_type,
        &p.payer_auth_id,
        &p.order_id,
        &p.currency,
        &p.amount,
    ) {
        Ok(tid) => tid,
        Err((rescode, message)) => return gateway_error(rescode, &message),
    };
    let amount = valid_amount(&p.amount, &p.currency).unwrap_or_default();
    json_response(
        StatusCode::OK,
        &Confirmed {
            rescode: "0000",
            resmsg: "Success.",
            mid: &sandbox.config().mid,
            transaction_id: &tid,
            payment: ConfirmedPayment {
                order_id: &p.order_id,
                currency: &p.currency,
                amount: sandbox.echo(Surface::Retrieve, amount, &p.currency),
                transaction_id: &tid,
                transaction_type: &request.transaction_type,
            },
        },
    )
}
