//! Sending a command: built from the machine as it is (a refusal ends it, nothing sent), sent
//! with the async adapter, and its finish kept — done, declined or outcome unknown — to be
//! absorbed into the order as reloaded (`carry_out`).

use eximbay_core::ops::MerchantParams;
use eximbay_core::ops::cancel::Cancel;
use eximbay_core::payment::PaymentCommand;
use eximbay_core::recurring::{RecurringOutcome, RecurringRefusal};
use eximbay_core::{
    ClientError, Finished, Operation, Payment, PaymentOutcome, PaymentStatus, Recurring,
    TransactionId,
};

use super::{Action, Ending};
use crate::shop::Shop;

/// A payment call's finish, to absorb into the payment as reloaded.
pub(super) struct PaymentCall {
    /// The payment it was about.
    pub(super) transaction_id: String,
    /// The command (put in doubt if the outcome is unknown or the answer does not fit).
    pub(super) command: PaymentCommand,
    /// How it finished: done, declined, or outcome unknown.
    pub(super) finished: Finished<PaymentOutcome>,
}

/// What a sent command left to apply.
pub(super) enum Sent {
    /// A payment call's finish, and the command's end.
    Payment(Box<PaymentCall>, Ending),
    /// An outcome for the subscription and the command's end.
    Recurring(RecurringOutcome, Ending),
    /// Nothing to apply (nothing was sent, or the gateway refused the request).
    Unchanged(Ending),
}

pub(super) fn not_sent(error: impl std::fmt::Display) -> Ending {
    Ending::new("refused", format!("Not sent: {error}."))
}

/// Builds the payment command from the payment as it is, and sends it.
pub(super) async fn send_to_payment(
    shop: &Shop,
    payment: &Payment,
    key: &str,
    action: &Action,
    reason: Option<&str>,
) -> Result<Sent, Ending> {
    let currency = payment.currency().code().to_owned();
    let tid = payment.transaction_id().as_str();
    Ok(match action {
        Action::Capture => {
            let op = payment.capture().map_err(not_sent)?;
            let message = format!("Captured {} {currency}.", payment.amount());
            send_payment(shop, &op, tid, PaymentCommand::Capture, move |r| {
                let answered = Some(r.transaction_id.clone());
                (PaymentOutcome::Captured(r), message, answered)
            })
            .await
        }
        Action::Refund(amount) => {
            let op = payment
                .refund_partial(amount.clone(), key, reason)
                .map_err(not_sent)?;
            send_refund(shop, &op, tid, currency).await
        }
        Action::RefundFull | Action::RefundExtra(_) => {
            let op = payment.refund_full(key, reason).map_err(not_sent)?;
            if payment.status() == PaymentStatus::Authorized {
                // Nothing was captured: a full cancel releases the authorization.
                let message = format!(
                    "Released the authorization of {} {currency}: the buyer is not charged.",
                    payment.amount()
                );
                let command = PaymentCommand::of_cancel(&op);
                send_payment(shop, &op, tid, command, move |r| {
                    let answered = Some(r.payment.transaction_id.clone());
                    (PaymentOutcome::Refunded(r), message, answered)
                })
                .await
            } else {
                send_refund(shop, &op, tid, currency).await
            }
        }
        _ => {
            let op = payment.reconcile();
            send_payment(shop, &op, tid, PaymentCommand::Reconcile, |r| {
                let answered = r.transaction_id.clone();
                let message = "Checked with the gateway.".to_owned();
                (PaymentOutcome::Retrieved(r), message, answered)
            })
            .await
        }
    })
}

async fn send_refund(shop: &Shop, op: &Cancel, tid: &str, currency: String) -> Sent {
    let command = PaymentCommand::of_cancel(op);
    send_payment(shop, op, tid, command, move |r| {
        let balance = r.payment.balance.as_ref().map_or_else(String::new, |b| {
            format!(" {} {currency} is still refundable.", b.as_str())
        });
        let gateway_id = r
            .refund
            .refund_transaction_id
            .as_ref()
            .map_or_else(String::new, |t| format!(" (gateway refund {t})"));
        let message = format!(
            "Refunded {} {currency}{gateway_id}.{balance}",
            r.refund.refund_amount.as_str()
        );
        let answered = Some(r.payment.transaction_id.clone());
        (PaymentOutcome::Refunded(r), message, answered)
    })
    .await
}

/// Sends a payment operation about payment `tid` and keeps how it finished, to absorb.
///
/// A success answer about another payment (another `transaction_id`) does not say what
/// became of ours: the command's outcome is unknown, the payment is put in doubt, and the
/// sweeper settles it with the gateway — never "done". A rejected request or a call that
/// failed safely leaves nothing to absorb.
async fn send_payment<O: Operation>(
    shop: &Shop,
    op: &O,
    tid: &str,
    command: PaymentCommand,
    success: impl FnOnce(O::Output) -> (PaymentOutcome, String, Option<TransactionId>),
) -> Sent {
    let (finished, ending) = match shop.client.send(op).await {
        Ok(output) => match success(output) {
            (_, _, Some(other)) if other.as_str().trim() != tid => (
                Finished::OutcomeUnknown,
                Ending::new(
                    "unknown",
                    format!(
                        "The gateway answered about another payment ({other}), not {tid}: \
                         whether it was done is unknown. The gateway may have done it — \
                         checking with the gateway; the order shows the result once known. \
                         Do not repeat it."
                    ),
                ),
            ),
            (outcome, message, _) => (Finished::Done(outcome), Ending::new("done", message)),
        },
        Err(error) => match error.finished::<PaymentOutcome>() {
            Some(Finished::Declined(gateway)) => {
                let message = format!("The gateway declined it: {gateway}. Nothing changed.");
                (
                    Finished::Declined(gateway),
                    Ending::new("declined", message),
                )
            }
            Some(Finished::OutcomeUnknown) => (
                Finished::OutcomeUnknown,
                Ending::new(
                    "unknown",
                    "The gateway did not confirm the outcome. Checking with the gateway: the \
                     order shows the result once known. Do not repeat it.",
                ),
            ),
            _ => return Sent::Unchanged(Ending::new("failed", failure_message(&error))),
        },
    };
    let call = PaymentCall {
        transaction_id: tid.to_owned(),
        command,
        finished,
    };
    Sent::Payment(Box::new(call), ending)
}

/// Builds the subscription's command from the registration as it is, and sends it.
pub(super) async fn send_to_recurring(
    shop: &Shop,
    recurring: &Recurring,
    action: &Action,
) -> Result<Sent, Ending> {
    let params = MerchantParams::default();
    let currency = recurring.currency().code();
    Ok(match action {
        Action::Adjust(amount) => {
            let op = recurring
                .adjust(amount.clone(), shop.gateway_now(), params)
                .map_err(recurring_refused)?;
            let done = format!("The monthly amount is now {amount} {currency}.");
            send_recurring(shop, &op, done).await
        }
        _ => {
            let op = recurring.terminate(params).map_err(recurring_refused)?;
            let done = "The subscription was terminated: no more charges.";
            send_recurring(shop, &op, done.to_owned()).await
        }
    })
}

fn recurring_refused(refused: RecurringRefusal) -> Ending {
    match refused {
        RecurringRefusal::ChargeDay(day) => Ending::new(
            "refused",
            format!(
                "Not sent: the gateway refuses to change the amount on the charge day ({day}, \
                 KST, by the gateway's clock). Change it from the next day on."
            ),
        ),
        other => not_sent(other),
    }
}

/// Sends a recurring operation. A registration keeps nothing in doubt: only an answer
/// changes it.
async fn send_recurring<O>(shop: &Shop, op: &O, message: String) -> Sent
where
    O: Operation,
    O::Output: Into<RecurringOutcome>,
{
    let error = match shop.client.send(op).await {
        Ok(output) => return Sent::Recurring(output.into(), Ending::new("done", message)),
        Err(error) => error,
    };
    Sent::Unchanged(match error.finished::<()>() {
        Some(Finished::OutcomeUnknown) => Ending::new(
            "unknown",
            "The gateway did not confirm the outcome: the next charge result will show \
             whether it took effect. Sending it again is safe (an ended subscription is \
             refused, an amount is set, not added).",
        ),
        Some(Finished::Declined(gateway)) => Ending::new(
            "declined",
            format!("The gateway declined it: {gateway}. Nothing changed."),
        ),
        _ => Ending::new("failed", failure_message(&error)),
    })
}

/// A failure where nothing was applied, in words an operator acts on.
fn failure_message(error: &ClientError) -> String {
    match error {
        // 429: the gateway answered, asking for fewer requests (the core's own words for
        // an HTTP status, after its retries).
        ClientError::Transport { detail, .. } if detail.contains("HTTP 429 ") => slow_down(),
        ClientError::Response(e) if e.status() == 429 => slow_down(),
        ClientError::Transport { .. } => "The gateway could not be reached; nothing was \
                                          charged or refunded. Try again in a moment."
            .to_owned(),
        ClientError::Rejected(e) => format!(
            "The gateway refused the request ({e}): a configuration or integration problem. \
             Nothing changed."
        ),
        other => format!("{other}. Nothing changed."),
    }
}

fn slow_down() -> String {
    "The gateway asked us to slow down (HTTP 429); nothing was charged or refunded. Try \
     again in a minute."
        .to_owned()
}
