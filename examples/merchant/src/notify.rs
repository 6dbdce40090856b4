//! `status_url` and `recurringURL`: the gateway's word on a payment, the only thing that
//! moves an order to paid.
//!
//! Every delivery is verified (fgkey with the secret key), checked against the order (MID,
//! amount, currency: a valid signature on someone else's amount is not a payment), applied
//! once (its identity is recorded in the same transaction as the change), and acknowledged
//! with `rescode=0000` — duplicates included, so the gateway stops redelivering. A delivery
//! that is refused is answered with a [`Refusal`]'s code, and changes nothing.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use eximbay_core::notification::{ACK_BODY, Deduplicator};
use eximbay_core::recurring::{ChargeResult, RecurringEvent, RecurringOutcome};
use eximbay_core::registration::{RecurringRegistration, RegistrationResult};
use eximbay_core::{
    Amount, Lang, Notification, NotificationStatus, Payment, PaymentNotice, PaymentOutcome,
    PaymentStatus, Recurring, Timestamp,
};

use crate::error::{Refusal, ShopError};
use crate::order::{Order, OrderKind};
use crate::shop::Shop;
use crate::store::{Changed, Decision, StoreError};

/// `POST /eximbay/status`: `rescode=0000` for every delivery accepted (duplicates
/// included), else the [`Refusal`] in the gateway's protocol.
pub async fn status_url(
    State(shop): State<Arc<Shop>>,
    body: Bytes,
) -> Result<&'static str, ShopError> {
    shop.accept(&body, Kind::Status).await?;
    Ok(ACK_BODY)
}

/// `POST /eximbay/recurring`: as [`status_url`], for a monthly charge's result.
pub async fn recurring_url(
    State(shop): State<Arc<Shop>>,
    body: Bytes,
) -> Result<&'static str, ShopError> {
    shop.accept(&body, Kind::Charge).await?;
    Ok(ACK_BODY)
}

/// Which endpoint a delivery came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Status,
    Charge,
}

impl Shop {
    /// Verifies, checks and applies one delivery.
    async fn accept(&self, body: &[u8], kind: Kind) -> Result<(), Refusal> {
        let notification = Notification::parse(body).map_err(|_| Refusal::Malformed)?;
        notification
            .verify(&self.secret)
            .map_err(|_| Refusal::BadSignature)?;
        if notification.mid() != Some(self.settings.mid.as_str()) {
            return Err(Refusal::Mismatch);
        }
        let order_id = notification.order_id().ok_or(Refusal::Malformed)?;
        // A result's identity: its transaction, status and rescode. A failure from the
        // window carries no transaction id; its identity is the gateway's signature over
        // all its fields, so a replay of the same signed failure is a duplicate (and not
        // one more line in the order's history) while a second failed attempt is recorded.
        let delivery = match Deduplicator::key(&notification) {
            Ok(key) => format!("{kind:?}|{key}"),
            Err(_) => format!(
                "{kind:?}|signed|{}",
                notification
                    .get("fgkey")
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_uppercase()
            ),
        };
        let delivery = Some(delivery);
        let now = self.gateway_now();
        let at = match self.db_clock().await {
            Ok(at) => at,
            Err(error) => {
                tracing::error!(%error, order = order_id.as_str(), "notification not stored");
                return Err(Refusal::Unavailable);
            }
        };
        let changed = self
            .store
            .change(
                order_id.as_str(),
                at,
                delivery.as_deref(),
                None,
                |order| match kind {
                    Kind::Status => decide_status(order, &notification, now),
                    Kind::Charge => decide_charge(order, &notification, now),
                },
            )
            .await;
        match changed {
            Ok(Changed::Applied(_) | Changed::Duplicate | Changed::Skipped(_)) => Ok(()),
            Ok(Changed::Refused(_)) => Err(Refusal::Mismatch),
            Err(StoreError::NotFound) => Err(Refusal::UnknownOrder),
            Err(error) => {
                tracing::error!(%error, order = order_id.as_str(), "notification not stored");
                Err(Refusal::Unavailable)
            }
        }
    }
}

fn refuse(detail: String) -> Decision {
    Decision::Refuse {
        kind: "refused",
        detail,
    }
}

/// The amount and currency a notification states, checked against the order's.
fn check_amount(order: &Order, notification: &Notification<'_>) -> Result<(), String> {
    let sent = notification.amount();
    let amount = sent
        .as_ref()
        .and_then(|a| Amount::from_gateway(a.as_str(), &order.currency).ok());
    if notification.currency().as_ref() != Some(&order.currency)
        || amount.as_ref().map(Amount::value) != Some(order.amount.value())
    {
        return Err(format!(
            "A signed notification for {} {} does not match the order's {} {}: not applied",
            sent.as_ref().map_or("?", |a| a.as_str()),
            notification.currency().as_ref().map_or("?", |c| c.code()),
            order.amount,
            order.currency.code(),
        ));
    }
    Ok(())
}

/// What a `status_url` delivery does to its order.
fn decide_status(order: &mut Order, notification: &Notification<'_>, now: Timestamp) -> Decision {
    if let Err(detail) = check_amount(order, notification) {
        return refuse(detail);
    }
    if !notification.is_success() {
        let code = notification
            .rescode()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default();
        let message = notification.resmsg().unwrap_or_default();
        // A failed attempt says nothing about payments already made: on a paid order it is
        // one more attempt that failed, never "nothing was charged".
        let detail = match &order.payment {
            None => {
                format!("The payment did not go through ({code} {message}); nothing was charged")
            }
            Some(payment) => format!(
                "An attempt to pay failed ({code} {message}); the order's payment {} stands \
                 ({})",
                payment.transaction_id(),
                order.stage().label()
            ),
        };
        return Decision::Apply {
            kind: "notification",
            detail,
        };
    }
    let notified = notification.transaction_id();
    let known = notified
        .as_ref()
        .is_some_and(|t| order.payment_by_id(t.as_str()).is_some());
    // A cash payment's Sale may come under a transaction id of its own (the gateway does
    // not say): the core matches it to the registration by order and amount.
    let sale_of_registration = !known
        && notification.status() == Some(NotificationStatus::Sale)
        && order.payment.as_ref().map(Payment::status) == Some(PaymentStatus::Registered);
    if !known && order.payment.is_some() && !sale_of_registration {
        return another_payment(order, notification);
    }
    let target = if sale_of_registration {
        order.payment.as_mut()
    } else {
        notified
            .as_ref()
            .and_then(|t| order.payment_by_id_mut(t.as_str()))
    };
    let applied = match target {
        None => Payment::from_status_notification(notification, Lang::En)
            .map_err(|e| e.to_string())
            .and_then(|payment| {
                if order.kind == OrderKind::Subscription {
                    let registration = RegistrationResult::from_notification(notification)
                        .map_err(|e| format!("subscription: {e}"))?;
                    record_registration(order, &registration, now);
                }
                order.payment = Some(payment);
                Ok(())
            }),
        Some(payment) => PaymentNotice::from_notification(notification)
            .map_err(|e| e.to_string())
            .and_then(|notice| {
                payment
                    .apply(PaymentOutcome::Notified(notice))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }),
    };
    if let Err(detail) = applied {
        return refuse(format!("Notification not applied: {detail}"));
    }
    // A subscription whose payment the sweeper found has no registration (no lookup
    // answer carries `recurringID`): a late notification that does is its record.
    let mut registered = String::new();
    if order.kind == OrderKind::Subscription && order.recurring.is_none() {
        if let Ok(registration) = RegistrationResult::from_notification(notification) {
            record_registration(order, &registration, now);
            registered = format!("; subscription {} recorded", registration.recurring_id);
        }
    }
    if notification.holds_order() {
        let decision = notification
            .dm_decision()
            .map_or_else(|| "REVIEW".to_owned(), |d| d.as_str().to_owned());
        order.hold = Some(decision);
    }
    let transaction = notification
        .transaction_id()
        .map(|t| t.as_str().to_owned())
        .unwrap_or_default();
    // What the gateway's result means (money received, authorized, registered, …); the
    // order's stage follows the payment's state, never a bare success.
    let meaning = notification.meaning();
    Decision::Apply {
        kind: "notification",
        detail: format!(
            "Gateway: {meaning}, {} {}, transaction {transaction} → {}{registered}",
            order.amount,
            order.currency.code(),
            order.stage().label()
        ),
    }
}

/// The subscription a registration result describes, monthly at the order's amount.
fn record_registration(order: &mut Order, registration: &RegistrationResult, now: Timestamp) {
    let expected = RecurringRegistration::new(order.amount.clone(), "").expected_next_charge(now);
    order.recurring = Some(Recurring::from_registration(
        registration,
        order.currency.clone(),
        order.amount.clone(),
        expected,
    ));
}

/// A paid notification about a payment the order does not have yet, when it already has
/// one: the buyer paid twice (the same window opened in two tabs, the back button). The
/// money is real, so the payment is recorded beside the first, acknowledged (the gateway
/// stops redelivering) and flagged for the operator to refund one.
fn another_payment(order: &mut Order, notification: &Notification<'_>) -> Decision {
    let payment = match Payment::from_status_notification(notification, Lang::En) {
        Ok(payment) => payment,
        Err(error) => return refuse(format!("Notification not applied: {error}")),
    };
    let first = order
        .payment
        .as_ref()
        .map(|p| p.transaction_id().as_str().to_owned())
        .unwrap_or_default();
    let registration = RegistrationResult::from_notification(notification)
        .ok()
        .map(|r| {
            format!(
                " It also registered subscription {}: terminate it with the gateway.",
                r.recurring_id
            )
        })
        .filter(|_| order.kind == OrderKind::Subscription)
        .unwrap_or_default();
    let detail = format!(
        "Gateway: another payment of this order, {} {}, transaction {} ({:?}), besides {first}: \
         the buyer paid twice — refund one.{registration}",
        payment.amount(),
        payment.currency().code(),
        payment.transaction_id(),
        payment.status(),
    );
    order.extra_payments.push(payment);
    Decision::Apply {
        kind: "notification",
        detail,
    }
}

/// What a `recurringURL` delivery (a monthly charge's result) does to its order.
fn decide_charge(order: &mut Order, notification: &Notification<'_>, now: Timestamp) -> Decision {
    let adopted = adopt_registration(order, notification, now);
    let Some(recurring) = order.recurring.as_mut() else {
        return refuse("A charge result for an order without a subscription".to_owned());
    };
    let charge = match ChargeResult::from_notification(notification) {
        Ok(charge) => charge,
        Err(error) => return refuse(format!("Charge result not applied: {error}")),
    };
    if charge.recurring_id != *recurring.recurring_id()
        || notification.currency().as_ref() != Some(recurring.currency())
    {
        return refuse(format!(
            "A charge result for registration {} does not match this subscription",
            charge.recurring_id
        ));
    }
    let amount = charge
        .amount
        .as_ref()
        .map_or_else(|| recurring.amount().to_string(), |a| a.as_str().to_owned());
    let currency = recurring.currency().code().to_owned();
    let result_of = format!(
        "{} ({}{})",
        charge.rescode.as_str(),
        charge
            .next
            .map_or_else(String::new, |next| format!("next charge {next}")),
        charge
            .transaction_id
            .as_ref()
            .map_or_else(String::new, |t| format!(", transaction {t}")),
    );
    match recurring.apply(RecurringOutcome::Charged(charge)) {
        // A result older than one already applied changes nothing; the history says it
        // came and why it was ignored (its identity is recorded: a replay adds nothing).
        Ok(transition) if transition.event == RecurringEvent::StaleCharge => Decision::Apply {
            kind: "ignored",
            detail: format!(
                "Ignored a charge result older than the one already applied: {result_of}. \
                 Nothing changed."
            ),
        },
        Ok(transition) => Decision::Apply {
            kind: "charge",
            detail: adopted
                + &match transition.event {
                    RecurringEvent::Charged { next_charge } => {
                        format!(
                            "Monthly charge: {amount} {currency} charged; next on {next_charge}"
                        )
                    }
                    RecurringEvent::ChargeFailed {
                        failed_attempts,
                        rescode,
                    } => match recurring.status() {
                        eximbay_core::RecurringStatus::Terminated { .. } => format!(
                            "Monthly charge failed ({rescode}), attempt {failed_attempts}: the \
                         gateway ended the subscription"
                        ),
                        _ => format!(
                            "Monthly charge failed ({rescode}), attempt {failed_attempts}: the \
                         gateway retries tomorrow"
                        ),
                    },
                    RecurringEvent::DuplicateCharge | RecurringEvent::StaleCharge => {
                        return Decision::Skip;
                    }
                    other => format!("{other:?}"),
                },
        },
        Err(error) => refuse(format!("Charge result not applied: {error}")),
    }
}

/// A charge result for a subscription whose payment the sweeper found: no lookup answer
/// carries `recurringID`, so the order has no registration yet. Signed by the gateway, for
/// this order and its currency, the result names the registration, which is recorded from
/// it (monthly at the order's amount). Returns the history's words for it, or nothing.
fn adopt_registration(
    order: &mut Order,
    notification: &Notification<'_>,
    now: Timestamp,
) -> String {
    if order.recurring.is_some()
        || order.kind != OrderKind::Subscription
        || order.payment.is_none()
        || notification.currency().as_ref() != Some(&order.currency)
    {
        return String::new();
    }
    let Ok(charge) = ChargeResult::from_notification(notification) else {
        return String::new();
    };
    let due = charge.charged_on.unwrap_or_else(|| now.kst_date());
    order.recurring = Some(Recurring::new(
        charge.recurring_id.clone(),
        order.currency.clone(),
        order.amount.clone(),
        due,
    ));
    format!(
        "Subscription {} recorded from its charge result (the payment was found with the \
         gateway, whose record names no registration). ",
        charge.recurring_id
    )
}
