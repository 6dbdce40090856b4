//! What the v1 surfaces share: the gateway's refusals, the MID check, and payments that a
//! call (a confirm, a rebill) makes rather than a payment window.

use http::Response;

use super::gateway_error;
use crate::commands::NewPayment;
use crate::ledger::Refusal;
use crate::sandbox::Sandbox;

/// The gateway's answer to a refused request.
pub(crate) fn refused(refusal: Refusal) -> Response<Vec<u8>> {
    gateway_error(refusal.rescode, refusal.message)
}

/// `EC00` when the request names another merchant.
pub(crate) fn wrong_mid(sandbox: &Sandbox, mid: &str) -> Option<Response<Vec<u8>>> {
    (mid != sandbox.config().mid).then(|| gateway_error("EC00", "Invalid mid"))
}

/// A payment a call makes (a confirm, a rebill) rather than a payment window: opened and
/// put in the ledger; its transaction id and KST date, or the refusal to answer with.
pub(crate) fn made_by_call(
    sandbox: &mut Sandbox,
    order_id: &str,
    currency: &str,
    amount: &str,
    transaction_type: &str,
) -> Result<(String, String), Box<Response<Vec<u8>>>> {
    make_payment(sandbox, order_id, currency, amount, transaction_type)
        .map_err(|(rescode, message)| Box::new(gateway_error(rescode, &message)))
}

/// [`made_by_call`] for any surface: the refusal is its rescode and message.
pub(crate) fn make_payment(
    sandbox: &mut Sandbox,
    order_id: &str,
    currency: &str,
    amount: &str,
    transaction_type: &str,
) -> Result<(String, String), (&'static str, String)> {
    let new = NewPayment::new(order_id, currency, amount).with_transaction_type(transaction_type);
    let date = sandbox.kst_datetime();
    let mid = sandbox.config().mid.clone();
    let mut payment = sandbox
        .ledger
        .open(&new, &mid, &date)
        .map_err(|message| ("EC00", message))?;
    payment.created_at = sandbox.now().0;
    let tid = payment.transaction_id.clone();
    sandbox
        .ledger
        .insert(payment)
        .map_err(|message| ("EX00", message))?;
    Ok((tid, date))
}
