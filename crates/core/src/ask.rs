//! What a caller asks a machine to do: one value per command, which the machine turns into
//! the operation to send ([`StateMachine::produce`]) and whose answer it reads for absorbing.
//! The client facades are `call(machine, ask)` for each of these, written out as named
//! methods (`client.capture(&mut payment)` is `client.call(&mut payment, ask::Capture)`).

use crate::authentication::{
    AuthenticationCommand, AuthenticationOutcome, AuthenticationRefusal, PayerAuthentication,
};
use crate::codes::TransactionType;
use crate::ids::OrderId;
use crate::machine::{Ask, StateMachine};
use crate::money::{Amount, Currency};
use crate::ops::cancel::{Cancel, Refunded};
use crate::ops::capture::{Capture as CaptureOp, Captured};
use crate::ops::confirm::{Confirm as ConfirmOp, Confirmed};
use crate::ops::query::Query;
use crate::ops::recurring_adjust::{RecurringAdjust, RecurringAdjusted};
use crate::ops::recurring_terminate::{RecurringTerminate, RecurringTerminated};
use crate::ops::retrieve::{Retrieve, Retrieved};
use crate::ops::token_delete::{TokenDelete, TokenDeleted};
use crate::ops::token_lookup::{TokenLookup, TokenShown};
use crate::ops::token_rebill::{Rebilled, TokenRebill};
use crate::ops::{Line, MerchantParams};
use crate::payment::{Payment, PaymentCommand, PaymentOutcome};
use crate::recurring::{Recurring, RecurringOutcome, RecurringRefusal};
use crate::time::Timestamp;
use crate::token::{Token, TokenCommand, TokenOutcome, TokenRefusal};

type Produced<O, M> = Result<(O, <M as StateMachine>::Command), <M as StateMachine>::Refusal>;

/// Capture an authorized payment.
#[derive(Clone, Copy, Debug)]
pub struct Capture;

impl Ask<Payment> for Capture {
    type Operation = CaptureOp;
    fn produce(&self, payment: &Payment) -> Produced<CaptureOp, Payment> {
        Ok((payment.capture()?, PaymentCommand::Capture))
    }
    fn read(&self, _: &CaptureOp, answer: Captured) -> PaymentOutcome {
        PaymentOutcome::Captured(answer)
    }
}

/// Refund everything still refundable (void an uncaptured authorization); `command_key`
/// identifies the refund (a retry with the same key reuses its `refund_id`).
#[derive(Clone, Copy, Debug)]
pub struct RefundFull<'a> {
    /// The refund's key.
    pub command_key: &'a str,
    /// Why (the default reason when `None`).
    pub reason: Option<&'a str>,
}

impl Ask<Payment> for RefundFull<'_> {
    type Operation = Cancel;
    fn produce(&self, payment: &Payment) -> Produced<Cancel, Payment> {
        let op = payment.refund_full(self.command_key, self.reason)?;
        let command = PaymentCommand::of_cancel(&op);
        Ok((op, command))
    }
    fn read(&self, _: &Cancel, answer: Refunded) -> PaymentOutcome {
        PaymentOutcome::Refunded(answer)
    }
}

/// Refund part of a captured payment (more than the balance is refused before sending).
#[derive(Clone, Debug)]
pub struct RefundPartial<'a> {
    /// How much.
    pub amount: Amount,
    /// The refund's key.
    pub command_key: &'a str,
    /// Why (the default reason when `None`).
    pub reason: Option<&'a str>,
}

impl Ask<Payment> for RefundPartial<'_> {
    type Operation = Cancel;
    fn produce(&self, payment: &Payment) -> Produced<Cancel, Payment> {
        let op = payment.refund_partial(self.amount.clone(), self.command_key, self.reason)?;
        let command = PaymentCommand::of_cancel(&op);
        Ok((op, command))
    }
    fn read(&self, _: &Cancel, answer: Refunded) -> PaymentOutcome {
        PaymentOutcome::Refunded(answer)
    }
}

/// Retrieve the payment and apply its true state.
#[derive(Clone, Copy, Debug)]
pub struct Reconcile;

impl Ask<Payment> for Reconcile {
    type Operation = Retrieve;
    fn produce(&self, payment: &Payment) -> Produced<Retrieve, Payment> {
        Ok((payment.reconcile(), PaymentCommand::Reconcile))
    }
    fn read(&self, _: &Retrieve, answer: Retrieved) -> PaymentOutcome {
        PaymentOutcome::Retrieved(answer)
    }
}

/// Look the payment up with the legacy `QUERY` and apply its true state.
#[derive(Clone, Copy, Debug)]
pub struct ReconcileByQuery;

impl Ask<Payment> for ReconcileByQuery {
    type Operation = Query;
    fn produce(&self, payment: &Payment) -> Produced<Query, Payment> {
        Ok((payment.reconcile_by_query(), PaymentCommand::Reconcile))
    }
    fn read(&self, _: &Query, answer: Retrieved) -> PaymentOutcome {
        PaymentOutcome::Retrieved(answer)
    }
}

/// Confirm a payer authentication for its own amount and currency; `now` is the caller's
/// clock when sending.
#[derive(Clone, Debug)]
pub struct Confirm {
    /// `PAYMENT_PA` or `AUTHORIZE_PA`.
    pub transaction_type: TransactionType,
    /// When it is sent.
    pub now: Timestamp,
}

impl Ask<PayerAuthentication> for Confirm {
    type Operation = ConfirmOp;
    fn produce(
        &self,
        authentication: &PayerAuthentication,
    ) -> Result<(ConfirmOp, (AuthenticationCommand, Timestamp)), AuthenticationRefusal> {
        let op = authentication.confirm(
            self.transaction_type.clone(),
            authentication.currency(),
            authentication.amount(),
        )?;
        Ok((op, (AuthenticationCommand::Confirm, self.now)))
    }
    fn read(&self, _: &ConfirmOp, answer: Confirmed) -> AuthenticationOutcome {
        AuthenticationOutcome::Confirmed(answer)
    }
}

/// After an ambiguous confirm: retrieve by order id; `now` is the caller's clock.
#[derive(Clone, Copy, Debug)]
pub struct ReconcileAuthentication {
    /// When it is sent (and answered).
    pub now: Timestamp,
}

impl Ask<PayerAuthentication> for ReconcileAuthentication {
    type Operation = Retrieve;
    fn produce(
        &self,
        authentication: &PayerAuthentication,
    ) -> Result<(Retrieve, (AuthenticationCommand, Timestamp)), AuthenticationRefusal> {
        let command = (AuthenticationCommand::Reconcile, self.now);
        Ok((authentication.reconcile(), command))
    }
    fn read(&self, _: &Retrieve, answer: Retrieved) -> AuthenticationOutcome {
        AuthenticationOutcome::Retrieved {
            answer,
            at: self.now,
        }
    }
}

/// Charge a stored card: a new, captured payment under `order_id`; `now` is the caller's
/// clock when sending.
#[derive(Clone, Debug)]
pub struct Rebill {
    /// The new payment's order.
    pub order_id: OrderId,
    /// How much.
    pub amount: Amount,
    /// In what.
    pub currency: Currency,
    /// What is sold.
    pub products: Vec<Line>,
    /// When it is sent.
    pub now: Timestamp,
}

impl Ask<Token> for Rebill {
    type Operation = TokenRebill;
    fn produce(
        &self,
        token: &Token,
    ) -> Result<(TokenRebill, (TokenCommand, Timestamp)), TokenRefusal> {
        let op = token.rebill(
            self.order_id.clone(),
            self.currency.clone(),
            self.amount.clone(),
            self.products.clone(),
        )?;
        let command = TokenCommand::Rebill {
            order_id: op.order_id.clone(),
            currency: op.currency.clone(),
            amount: op.amount.clone(),
        };
        Ok((op, (command, self.now)))
    }
    fn read(&self, op: &TokenRebill, answer: Rebilled) -> TokenOutcome {
        TokenOutcome::Rebilled {
            request: Box::new(op.clone()),
            answer: Box::new(answer),
        }
    }
}

/// Delete a stored card (irreversible); `now` is the caller's clock when sending.
#[derive(Clone, Copy, Debug)]
pub struct DeleteToken {
    /// When it is sent.
    pub now: Timestamp,
}

impl Ask<Token> for DeleteToken {
    type Operation = TokenDelete;
    fn produce(
        &self,
        token: &Token,
    ) -> Result<(TokenDelete, (TokenCommand, Timestamp)), TokenRefusal> {
        Ok((token.delete()?, (TokenCommand::Delete, self.now)))
    }
    fn read(&self, _: &TokenDelete, answer: TokenDeleted) -> TokenOutcome {
        TokenOutcome::Deleted(answer)
    }
}

/// Look a stored card up; `now` is the caller's clock.
#[derive(Clone, Copy, Debug)]
pub struct LookupToken {
    /// When it is sent.
    pub now: Timestamp,
}

impl Ask<Token> for LookupToken {
    type Operation = TokenLookup;
    fn produce(
        &self,
        token: &Token,
    ) -> Result<(TokenLookup, (TokenCommand, Timestamp)), TokenRefusal> {
        Ok((token.lookup(), (TokenCommand::Lookup, self.now)))
    }
    fn read(&self, _: &TokenLookup, answer: TokenShown) -> TokenOutcome {
        TokenOutcome::Shown(answer)
    }
}

/// Terminate a recurring payment (`RC_TERMINATE`).
#[derive(Clone, Debug, Default)]
pub struct TerminateRecurring {
    /// `param1..3`, echoed back.
    pub params: MerchantParams,
}

impl Ask<Recurring> for TerminateRecurring {
    type Operation = RecurringTerminate;
    fn produce(&self, recurring: &Recurring) -> Result<(RecurringTerminate, ()), RecurringRefusal> {
        Ok((recurring.terminate(self.params.clone())?, ()))
    }
    fn read(&self, _: &RecurringTerminate, answer: RecurringTerminated) -> RecurringOutcome {
        answer.into()
    }
}

/// Change a recurring payment's amount (`RC_ADJUST`; refused on the charge day, KST);
/// `now` is the caller's clock.
#[derive(Clone, Debug)]
pub struct AdjustRecurring {
    /// The new monthly amount.
    pub amount: Amount,
    /// When it is sent.
    pub now: Timestamp,
    /// `param1..3`, echoed back.
    pub params: MerchantParams,
}

impl Ask<Recurring> for AdjustRecurring {
    type Operation = RecurringAdjust;
    fn produce(&self, recurring: &Recurring) -> Result<(RecurringAdjust, ()), RecurringRefusal> {
        let op = recurring.adjust(self.amount.clone(), self.now, self.params.clone())?;
        Ok((op, ()))
    }
    fn read(&self, _: &RecurringAdjust, answer: RecurringAdjusted) -> RecurringOutcome {
        answer.into()
    }
}
