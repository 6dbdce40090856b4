//! The gateway's ledger: payments, their refunds, and the rules that move them — capture
//! `AUTHORIZE` payments once for the whole amount, refund up to the balance with the
//! `balance` guard, whole amounts for KRW / JPY / VND, cash payments registered before they
//! are paid. Commands come in as plain values; a refused one changes nothing and says why
//! with the gateway's result code.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

use eximbay_core::{Amount, Currency};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::behaviour::{
    Behaviour, CancelBeforeCapture, FullRefundAfterPartial, RefundBalance, RepeatedRefundId,
    RetrieveByOrder, RetrieveLag,
};
use crate::commands::{CancelCommand, NewPayment};

/// Why the gateway refuses a command: its result code and message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The result code.
    pub rescode: &'static str,
    /// The message.
    pub message: &'static str,
}

pub(crate) fn refuse(rescode: &'static str, message: &'static str) -> Refusal {
    Refusal { rescode, message }
}

/// One payment in the ledger.
#[derive(Clone, Debug, Serialize)]
pub struct LedgerPayment {
    /// The gateway's id.
    pub transaction_id: String,
    /// The merchant's order id.
    pub order_id: String,
    /// Currency code.
    pub currency: String,
    /// Amount as registered.
    pub amount: String,
    /// The registered amount's value, read once when the payment is made (a refund
    /// compares against it several times under the sandbox lock).
    #[serde(skip)]
    pub(crate) total: Decimal,
    /// `AUTHORIZE` or `PAYMENT`.
    pub transaction_type: String,
    /// Paid by a cash or bank-transfer method (registered first, paid later).
    pub cash: bool,
    /// Registered, the buyer has not paid yet (cash and bank-transfer methods).
    pub awaiting_payment: bool,
    /// Captured (manually, or automatically for `PAYMENT`).
    pub captured: bool,
    /// Cancelled before capture (or, for cash methods, expired before payment).
    pub voided: bool,
    /// Refunded so far.
    pub refunded: Decimal,
    /// Refunds by refund id.
    pub refunds: BTreeMap<String, LedgerRefund>,
    /// Capture requests applied (never more than one).
    pub captures_applied: u32,
    /// Where the status callback goes.
    pub status_url: Option<String>,
    /// `YYYYMMDDhhmmss` (KST) of the capture.
    pub captured_date: Option<String>,
    /// When it was made (test-clock UNIX seconds; for `retrieve_lag`).
    #[serde(skip)]
    pub created_at: i64,
    /// Retrieves that found nothing because of `retrieve_lag`.
    #[serde(skip)]
    pub hidden_retrieves: u32,
}

/// One refund.
#[derive(Clone, Debug, Serialize)]
pub struct LedgerRefund {
    /// Amount.
    pub amount: Decimal,
    /// The refund's own transaction id.
    pub refund_transaction_id: String,
    /// `YYYYMMDDhhmmss` (KST).
    pub refund_date: String,
}

impl LedgerPayment {
    /// A card payment just made: nothing captured, voided or refunded, nobody to notify.
    /// The arguments are what every way of making a payment sets; each sets the rest after
    /// (so a field added later is written in one place).
    pub(crate) fn new(
        transaction_id: String,
        order_id: String,
        currency: String,
        amount: String,
        total: Decimal,
        transaction_type: String,
    ) -> Self {
        LedgerPayment {
            transaction_id,
            order_id,
            currency,
            amount,
            total,
            transaction_type,
            cash: false,
            awaiting_payment: false,
            captured: false,
            voided: false,
            refunded: Decimal::ZERO,
            refunds: BTreeMap::new(),
            captures_applied: 0,
            status_url: None,
            captured_date: None,
            created_at: 0,
            hidden_retrieves: 0,
        }
    }

    /// The registered amount.
    pub fn total(&self) -> Decimal {
        self.total
    }

    /// What is still refundable.
    pub fn balance(&self) -> Decimal {
        if self.voided {
            Decimal::ZERO
        } else {
            self.total() - self.refunded
        }
    }

    /// The retrieve `status`: the gateway's vocabulary is `SALE | AUTH | REGISTERED | NONE`,
    /// read with `balance` — a refunded sale is `SALE` with balance 0, a reversed
    /// authorization `AUTH` with balance 0, an expired registration `REGISTERED` with 0.
    pub fn remote_status(&self) -> &'static str {
        if self.captured {
            "SALE"
        } else if self.cash {
            "REGISTERED"
        } else {
            "AUTH"
        }
    }
}

/// Checks an amount string for a currency the way the gateway does.
pub(crate) fn valid_amount(text: &str, currency: &str) -> Option<Decimal> {
    let amount = Amount::parse(text).ok()?;
    amount.check_currency(&Currency::from_code(currency)).ok()?;
    Some(amount.value())
}

/// A 24-character transaction id in the form seen from the real gateway: the MID, `W`, and
/// 13 digits — here the sequence, so ids never repeat (10¹³ of them) and sort in order.
pub(crate) fn transaction_id(mid: &str, sequence: u64) -> String {
    format!("{mid}W{sequence:013}")
}

/// Payments by transaction id, an index by order id, and the sequence ids are drawn from.
/// Read through [`Ledger::payment`], [`Ledger::payments`] and [`Ledger::payments_of`]; the
/// fields are private because the order index must always agree with the payments.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Payments by transaction id.
    payments: BTreeMap<String, LedgerPayment>,
    /// The payments of each order id (retrieve by `order_id`, and the ledger listing of one
    /// order, without a scan of every payment).
    by_order: HashMap<String, OrderPayments>,
    sequence: u64,
}

/// The payments recorded under one order id.
#[derive(Clone, Debug)]
struct OrderPayments {
    /// The one recorded first: what a retrieve by `order_id` finds.
    first: String,
    /// All of them, in transaction-id order (the ledger listing's order).
    all: BTreeSet<String>,
}

impl Ledger {
    /// The payment with the transaction id `tid`.
    pub fn payment(&self, tid: &str) -> Option<&LedgerPayment> {
        self.payments.get(tid)
    }

    /// Every payment, in transaction-id order (the order they were made in: one sequence
    /// numbers every id).
    pub fn payments(
        &self,
    ) -> impl DoubleEndedIterator<Item = &LedgerPayment> + ExactSizeIterator + '_ {
        self.payments.values()
    }

    /// The payments recorded under the order id `order_id`, in transaction-id order (through
    /// the order index, without a scan of every payment).
    pub fn payments_of<'a>(
        &'a self,
        order_id: &str,
    ) -> impl DoubleEndedIterator<Item = &'a LedgerPayment> + 'a {
        self.by_order
            .get(order_id)
            .into_iter()
            .flat_map(|order| order.all.iter())
            .filter_map(|tid| self.payments.get(tid))
    }

    /// How many payments the ledger holds.
    pub fn len(&self) -> usize {
        self.payments.len()
    }

    /// Whether the ledger holds no payment.
    pub fn is_empty(&self) -> bool {
        self.payments.is_empty()
    }

    /// The next number of the sandbox's one sequence (transaction and recurring ids).
    pub fn next_sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    /// A new 24-character transaction id.
    pub fn new_transaction_id(&mut self, mid: &str) -> String {
        let sequence = self.next_sequence();
        transaction_id(mid, sequence)
    }

    /// The payment a completed payment window creates (not inserted yet), or why the
    /// request is refused.
    pub fn open(
        &mut self,
        new: &NewPayment,
        mid: &str,
        date: &str,
    ) -> Result<LedgerPayment, String> {
        let cash = match new.method.as_deref() {
            None | Some("card") => false,
            Some("cash") => true,
            Some(_) => return Err("method must be card or cash".to_owned()),
        };
        let transaction_type = new
            .transaction_type
            .clone()
            .unwrap_or_else(|| if cash { "PAYMENT" } else { "AUTHORIZE" }.to_owned());
        // `*_PA`: made by a confirm after payer authentication.
        if !matches!(
            transaction_type.as_str(),
            "AUTHORIZE" | "PAYMENT" | "AUTHORIZE_PA" | "PAYMENT_PA" | "REBILL"
        ) {
            return Err("transaction_type must be AUTHORIZE or PAYMENT".to_owned());
        }
        if cash && (transaction_type != "PAYMENT" || new.recurring.is_some()) {
            return Err("a cash payment is a PAYMENT without recurring registration".to_owned());
        }
        let Some(total) = valid_amount(&new.amount, &new.currency) else {
            return Err("invalid amount for the currency".to_owned());
        };
        let captured = matches!(
            transaction_type.as_str(),
            "PAYMENT" | "PAYMENT_PA" | "REBILL"
        ) && !cash;
        Ok(LedgerPayment {
            cash,
            awaiting_payment: cash,
            captured,
            status_url: new.status_url.clone(),
            captured_date: captured.then(|| date.to_owned()),
            ..LedgerPayment::new(
                self.new_transaction_id(mid),
                new.order_id.clone(),
                new.currency.clone(),
                new.amount.clone(),
                total,
                transaction_type,
            )
        })
    }

    /// Records a payment. A transaction id already in the ledger is an error, never an
    /// overwrite: no payment (and no refund history) is ever lost.
    pub fn insert(&mut self, payment: LedgerPayment) -> Result<(), String> {
        match self.payments.entry(payment.transaction_id.clone()) {
            std::collections::btree_map::Entry::Occupied(_) => Err(format!(
                "transaction id {} is already in the ledger",
                payment.transaction_id
            )),
            std::collections::btree_map::Entry::Vacant(slot) => {
                let tid = payment.transaction_id.clone();
                self.by_order
                    .entry(payment.order_id.clone())
                    .or_insert_with(|| OrderPayments {
                        first: tid.clone(),
                        all: BTreeSet::new(),
                    })
                    .all
                    .insert(tid);
                slot.insert(payment);
                Ok(())
            }
        }
    }

    /// A payment by transaction id or by order id (`key_field`); of an order's several
    /// payments, the one `by_order` says.
    pub fn find(
        &self,
        key_field: &str,
        transaction_id: Option<&str>,
        order_id: &str,
        by_order: RetrieveByOrder,
    ) -> Result<Option<&LedgerPayment>, Refusal> {
        match key_field {
            "transaction_id" => Ok(transaction_id.and_then(|tid| self.payments.get(tid))),
            "order_id" => Ok(self.by_order.get(order_id).and_then(|order| {
                let tid = match by_order {
                    RetrieveByOrder::First => Some(&order.first),
                    // One sequence numbers every id: the greatest is the latest.
                    RetrieveByOrder::Latest => order.all.iter().next_back(),
                };
                tid.and_then(|tid| self.payments.get(tid))
            })),
            _ => Err(refuse(
                "EC00",
                "key_field must be order_id or transaction_id",
            )),
        }
    }

    /// Whether a look-up finds the payment `tid` at `now` under `lag` (a hidden look-up
    /// is counted).
    pub fn visible(&mut self, tid: &str, lag: RetrieveLag, now: i64) -> bool {
        let Some(payment) = self.payments.get_mut(tid) else {
            return false;
        };
        if now.saturating_sub(payment.created_at) < i64::from(lag.seconds) {
            return false;
        }
        if payment.hidden_retrieves < lag.retrieves {
            payment.hidden_retrieves += 1;
            return false;
        }
        true
    }

    /// The payments after the transaction id `after` (all of them without it), in
    /// transaction-id order: every payment, or those of one `order_id` through the index.
    pub fn payments_after<'a>(
        &'a self,
        order_id: Option<&str>,
        after: Option<&'a str>,
    ) -> Box<dyn Iterator<Item = (&'a String, &'a LedgerPayment)> + 'a> {
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        match order_id {
            None => Box::new(self.payments.range::<str, _>((from, Bound::Unbounded))),
            Some(order_id) => Box::new(
                self.by_order
                    .get(order_id)
                    .into_iter()
                    .flat_map(move |order| order.all.range::<str, _>((from, Bound::Unbounded)))
                    .filter_map(|tid| self.payments.get_key_value(tid)),
            ),
        }
    }

    /// Captures an `AUTHORIZE` payment, once, for its whole amount (`amount` is the
    /// request's, read for `currency`: `None` when it is not a valid amount in it).
    pub fn capture(
        &mut self,
        tid: &str,
        order_id: &str,
        currency: &str,
        amount: Option<Decimal>,
        date: &str,
    ) -> Result<&LedgerPayment, Refusal> {
        let payment = self
            .payments
            .get_mut(tid)
            .ok_or(refuse("EC1002", "Invalid transaction_id"))?;
        if order_id != payment.order_id || currency != payment.currency {
            return Err(refuse(
                "EC00",
                "order_id or currency does not match the payment",
            ));
        }
        if amount != Some(payment.total()) {
            return Err(refuse(
                "EC00",
                "amount must be the authorized amount (no partial capture)",
            ));
        }
        // No documented code says "not capturable"; `EX*` means an internal exception
        // (outcome unknown), so the refusal is a request error.
        if !matches!(
            payment.transaction_type.as_str(),
            "AUTHORIZE" | "AUTHORIZE_PA"
        ) {
            return Err(refuse(
                "EC00",
                "Only AUTHORIZE payments are captured manually",
            ));
        }
        if payment.captured || payment.voided || payment.awaiting_payment {
            return Err(refuse("EC00", "The payment is not capturable"));
        }
        payment.captured = true;
        payment.captures_applied += 1;
        payment.captured_date = Some(date.to_owned());
        Ok(payment)
    }

    /// Refunds (or, before capture, voids) a payment. A repeated `refund_id` is answered as
    /// [`Behaviour::repeated_refund_id`] says, since the gateway's documents do not.
    pub fn cancel(
        &mut self,
        tid: &str,
        command: CancelCommand<'_>,
        behaviour: Behaviour,
        refund_transaction_id: impl FnOnce(&mut Self) -> String,
        date: &str,
    ) -> Result<(&LedgerPayment, LedgerRefund), Refusal> {
        let unknown = refuse("EC1002", "Invalid transaction_id");
        let repeated = self
            .payments
            .get(tid)
            .ok_or(unknown)?
            .refunds
            .get(command.refund_id)
            .cloned();
        if let Some(refund) = repeated {
            match behaviour.repeated_refund_id {
                RepeatedRefundId::AnswerOriginal => {
                    return Ok((self.payments.get(tid).ok_or(unknown)?, refund));
                }
                RepeatedRefundId::Refuse => {
                    return Err(refuse("EC00", "refund_id was already used"));
                }
                RepeatedRefundId::RefundAgain => {}
            }
        }
        let amount = check_refund(self.payments.get(tid).ok_or(unknown)?, command, behaviour)?;
        let refund = LedgerRefund {
            amount,
            // Only an applied refund takes a transaction id (refused ones leave no gap).
            refund_transaction_id: refund_transaction_id(self),
            refund_date: date.to_owned(),
        };
        let payment = self.payments.get_mut(tid).ok_or(unknown)?;
        if payment.captured {
            payment.refunded += amount;
        } else {
            payment.voided = true;
        }
        // Under `RefundAgain` a repeated id's newest refund is the one kept by id (the
        // total refunded keeps them all).
        payment
            .refunds
            .insert(command.refund_id.to_owned(), refund.clone());
        Ok((payment, refund))
    }

    /// Under `cash_sale_transaction_id: new`: the sale of a paid registration `tid` becomes
    /// a payment of its own, with a new transaction id; the registration goes back to
    /// `REGISTERED` with its amount.
    pub fn sale_of_registration(
        &mut self,
        tid: &str,
        mid: &str,
        now: i64,
    ) -> Result<LedgerPayment, String> {
        let new_tid = self.new_transaction_id(mid);
        let registration = self.payments.get_mut(tid).ok_or("no such transaction id")?;
        let mut sale = registration.clone();
        registration.captured = false;
        registration.captured_date = None;
        sale.transaction_id = new_tid;
        sale.created_at = now;
        self.insert(sale.clone())?;
        Ok(sale)
    }

    /// A registered cash payment is paid (`Sale`) or expires (`Void`).
    pub fn finish_cash(
        &mut self,
        tid: &str,
        paid: bool,
        date: &str,
    ) -> Result<&LedgerPayment, String> {
        let payment = self.payments.get_mut(tid).ok_or("no such transaction id")?;
        if !payment.awaiting_payment {
            return Err("the payment is not a registered cash payment awaiting the buyer".into());
        }
        payment.awaiting_payment = false;
        if paid {
            payment.captured = true;
            payment.captured_date = Some(date.to_owned());
        } else {
            payment.voided = true;
        }
        Ok(payment)
    }
}

/// The gateway's checks of a refund; the refunded amount when it may be applied.
fn check_refund(
    payment: &LedgerPayment,
    command: CancelCommand<'_>,
    behaviour: Behaviour,
) -> Result<Decimal, Refusal> {
    if command.refund_id.is_empty()
        || command.refund_id.chars().count() > behaviour.id_lengths.refund_id()
    {
        return Err(refuse("EC00", "Invalid refund_id"));
    }
    if command.order_id != payment.order_id || command.currency != payment.currency {
        return Err(refuse(
            "EC00",
            "order_id or currency does not match the payment",
        ));
    }
    let amounts = command.amounts;
    if amounts.amount != Some(payment.total()) {
        return Err(refuse("EC00", "amount does not match the payment"));
    }
    // The guard is checked when present (guide §3.1.2); whether v1 requires it is the
    // behaviour's choice.
    let balance_required = behaviour.v1_refund_balance == RefundBalance::Required;
    if amounts.balance_given || balance_required {
        let balance = amounts
            .balance
            .ok_or(refuse("EC00", "balance is missing or invalid"))?;
        if balance != payment.balance() {
            return Err(refuse(
                "EC00",
                "balance does not match the refundable amount",
            ));
        }
    }
    let amount = amounts
        .refund_amount
        .ok_or(refuse("EC00", "Invalid refund_amount"))?;
    if payment.awaiting_payment {
        return Err(refuse("EC00", "The payment has not been paid"));
    }
    if payment.voided || amount > payment.balance() {
        return Err(refuse("EC00", "refund_amount exceeds the balance"));
    }
    if !payment.captured && behaviour.cancel_before_capture == CancelBeforeCapture::Refuse {
        return Err(refuse(
            "EC00",
            "The authorization is not captured (cancel_before_capture: refuse)",
        ));
    }
    let full_after_partial = behaviour.full_refund_after_partial
        == FullRefundAfterPartial::RefundBalance
        && !payment.refunded.is_zero()
        && amount == payment.balance();
    match command.refund_type {
        "F" if amount == payment.total() && payment.refunded.is_zero() => Ok(amount),
        "F" if full_after_partial => Ok(amount),
        "F" => Err(refuse(
            "EC00",
            "F refunds the whole amount of an unrefunded payment",
        )),
        "P" if payment.captured => Ok(amount),
        "P" => Err(refuse("EC00", "Partial cancel needs a captured payment")),
        _ => Err(refuse("EC00", "Invalid refund_type")),
    }
}
