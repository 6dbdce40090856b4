//! Model-based test of the `Payment` state machine (proptest-state-machine).
//!
//! The reference model is a few lines of arithmetic on minor units. The system under test
//! is the real `Payment` driving the real request builders and parsers against the
//! scripted gateway (which reads the request bytes, checks the `balance` guard and the
//! uniqueness of `refund_id`, and answers in the wire format). Random sequences of legal and
//! illegal commands, each with an outcome Ok / Declined / Ambiguous (applied or not), are
//! run; after every step the payment must equal the model, satisfy
//! `refunded ≤ captured ≤ authorized`, and the gateway must never have captured twice or
//! applied a refund id twice.
//!
//! Payments start as card authorizations or as cash payments the gateway registered
//! (`status=Registered`); the buyer then pays (`Sale`) or the registration expires (`Void`),
//! and those notifications may be lost or delivered again. Reconciling reads the gateway's
//! real vocabulary (`SALE | AUTH | REGISTERED` with `balance`): a reversed authorization
//! (`AUTH` + 0) reconciles to Voided, an expired registration (`REGISTERED` + 0) too. A
//! refund key already applied is never sent again, whatever the amount.

use std::collections::{BTreeMap, BTreeSet};

use eximbay_core::payment::{PaymentCommand, PaymentEvent, PaymentRefusal};
use eximbay_core::{
    Amount, Currency, Lang, Notification, Operation, OrderId, Payment, PaymentNotice,
    PaymentOutcome, PaymentStatus, Timestamp, TransactionId,
};
use eximbay_tests::{Reply, Script, ScriptedGateway, TID, test_config};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use rust_decimal::Decimal;

mod harness;
use harness::Harness;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Declined,
    AmbiguousApplied,
    AmbiguousLost,
}

impl Outcome {
    fn script(self) -> Script {
        match self {
            Outcome::Ok => Script::Answer,
            Outcome::Declined => Script::Decline,
            Outcome::AmbiguousApplied => Script::ApplyThenDrop,
            Outcome::AmbiguousLost => Script::DropBeforeApply,
        }
    }
}

#[derive(Clone, Debug)]
enum Command {
    Capture(Outcome),
    RefundFull {
        key: u8,
        outcome: Outcome,
    },
    RefundPartial {
        cents: i64,
        key: u8,
        outcome: Outcome,
    },
    Reconcile,
    /// The last successful refund answer is delivered and applied again.
    ReplayLastRefund,
    /// The buyer of a registered cash payment pays; the `Sale` notification arrives
    /// (`delivered`) or is lost.
    Settle {
        delivered: bool,
    },
    /// A registered cash payment expires; the `Void` notification arrives or is lost.
    Expire {
        delivered: bool,
    },
    /// The last notification is delivered again.
    RedeliverNotice,
    /// Days pass on the merchant's clock (the authorization ages).
    DaysPass(u8),
}

/// The merchant's expiry policy on card authorizations, in days.
const EXPIRY_DAYS: u32 = 7;

/// When the card payments of the model were authorized.
const AUTHORIZED_AT: Timestamp = Timestamp(1_767_236_400);

/// A status notification the gateway sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Notice {
    Registered,
    Sale,
    Void,
}

/// What the gateway has (the truth) and what the merchant's payment should show (the view).
#[derive(Clone, Debug)]
struct Model {
    amount: i64,
    cash: bool,
    // Truth.
    captured: bool,
    voided: bool,
    refunded: i64,
    refund_keys: BTreeSet<u8>,
    last_notice: Notice,
    // View.
    view: PaymentStatus,
    view_captured: i64,
    view_refunded: i64,
    /// Refund keys the payment knows as applied, with their amounts.
    view_keys: BTreeMap<u8, i64>,
    /// The refund whose outcome is unknown (key, amount).
    refund_in_doubt: Option<(u8, i64)>,
    /// Days since the authorization (card payments carry its time; cash ones do not).
    age_days: u32,
}

impl Model {
    /// A payment of `amount` cents, authorized, nothing else done.
    fn authorized(amount: i64) -> Model {
        Model {
            amount,
            cash: false,
            captured: false,
            voided: false,
            refunded: 0,
            refund_keys: BTreeSet::new(),
            last_notice: Notice::Sale,
            view: PaymentStatus::Authorized,
            view_captured: 0,
            view_refunded: 0,
            view_keys: BTreeMap::new(),
            refund_in_doubt: None,
            age_days: 0,
        }
    }

    /// A cash payment of `amount` cents the gateway registered (`status=Registered`).
    fn registered(amount: i64) -> Model {
        Model {
            cash: true,
            last_notice: Notice::Registered,
            view: PaymentStatus::Registered,
            ..Model::authorized(amount)
        }
    }

    /// Whether the expiry policy refuses a capture now.
    fn expired(&self) -> bool {
        !self.cash && self.view == PaymentStatus::Authorized && self.age_days > EXPIRY_DAYS
    }

    fn view_balance(&self) -> i64 {
        match self.view {
            PaymentStatus::Authorized => self.amount,
            _ => self.view_captured - self.view_refunded,
        }
    }

    fn truth_balance(&self) -> i64 {
        if self.voided {
            0
        } else if self.captured {
            self.amount - self.refunded
        } else {
            self.amount
        }
    }

    fn sync_view_to_truth(&mut self) {
        // A refund in doubt that the gateway's figures show as done is known as applied.
        if let Some((key, cents)) = self.refund_in_doubt.take()
            && self.captured
            && self.refunded >= self.view_refunded + cents
        {
            self.view_keys.entry(key).or_insert(cents);
        }
        self.view_captured = if self.captured { self.amount } else { 0 };
        self.view_refunded = if self.captured { self.refunded } else { 0 };
        self.view = if self.voided {
            PaymentStatus::Voided
        } else if !self.captured && self.cash {
            PaymentStatus::Registered
        } else if !self.captured {
            PaymentStatus::Authorized
        } else if self.refunded == 0 {
            PaymentStatus::Captured
        } else if self.refunded == self.amount {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::PartiallyRefunded
        };
    }

    /// The refund (amount) a command asks for, when legal in the current view.
    fn legal_refund(&self, command: &Command) -> Option<i64> {
        match command {
            Command::RefundFull { .. } => matches!(
                self.view,
                PaymentStatus::Authorized
                    | PaymentStatus::Captured
                    | PaymentStatus::PartiallyRefunded
            )
            .then(|| self.view_balance()),
            Command::RefundPartial { cents, .. } => (matches!(
                self.view,
                PaymentStatus::Captured | PaymentStatus::PartiallyRefunded
            ) && *cents <= self.view_balance())
            .then_some(*cents),
            _ => None,
        }
    }

    /// The payment applies the last status notification.
    fn apply_notice(&mut self) {
        match (self.last_notice, self.view) {
            (Notice::Sale, PaymentStatus::Registered) => {
                self.view = PaymentStatus::Captured;
                self.view_captured = self.amount;
            }
            (Notice::Void, PaymentStatus::Registered) => self.view = PaymentStatus::Voided,
            // Redeliveries, and notices while a command is in doubt, change nothing.
            _ => {}
        }
    }

    fn gateway_applies_refund(&mut self, key: u8, cents: i64) {
        if self.refund_keys.contains(&key) {
            return; // answered idempotently with the original refund
        }
        self.refund_keys.insert(key);
        if self.captured {
            self.refunded += cents;
        } else {
            self.voided = true;
        }
    }
}

struct PaymentReference;

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        4 => Just(Outcome::Ok),
        1 => Just(Outcome::Declined),
        1 => Just(Outcome::AmbiguousApplied),
        1 => Just(Outcome::AmbiguousLost),
    ]
}

impl ReferenceStateMachine for PaymentReference {
    type State = Model;
    type Transition = Command;

    fn init_state() -> BoxedStrategy<Model> {
        prop_oneof![
            3 => (1_i64..=100_000).prop_map(Model::authorized),
            1 => (1_i64..=100_000).prop_map(Model::registered),
        ]
        .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Command> {
        let amount = state.amount;
        prop_oneof![
            2 => outcome().prop_map(Command::Capture),
            2 => (0_u8..4, outcome()).prop_map(|(key, outcome)| Command::RefundFull { key, outcome }),
            4 => (1_i64..=amount, 0_u8..4, outcome())
                .prop_map(|(cents, key, outcome)| Command::RefundPartial { cents, key, outcome }),
            2 => Just(Command::Reconcile),
            1 => Just(Command::ReplayLastRefund),
            2 => any::<bool>().prop_map(|delivered| Command::Settle { delivered }),
            1 => any::<bool>().prop_map(|delivered| Command::Expire { delivered }),
            1 => Just(Command::RedeliverNotice),
            1 => (1_u8..=4).prop_map(Command::DaysPass),
        ]
        .boxed()
    }

    fn apply(mut state: Model, command: &Command) -> Model {
        let in_doubt = state.view == PaymentStatus::NeedsReconcile;
        match command {
            Command::Reconcile => state.sync_view_to_truth(),
            Command::ReplayLastRefund => {}
            Command::Settle { delivered } => {
                if state.cash && !state.captured && !state.voided {
                    state.captured = true;
                    state.last_notice = Notice::Sale;
                    if *delivered {
                        state.apply_notice();
                    }
                }
            }
            Command::Expire { delivered } => {
                if state.cash && !state.captured && !state.voided {
                    state.voided = true;
                    state.last_notice = Notice::Void;
                    if *delivered {
                        state.apply_notice();
                    }
                }
            }
            Command::RedeliverNotice => state.apply_notice(),
            Command::DaysPass(days) => state.age_days += u32::from(*days),
            _ if in_doubt => {}
            Command::Capture(outcome) => {
                if state.view != PaymentStatus::Authorized || state.expired() {
                    return state;
                }
                match outcome {
                    Outcome::Ok => {
                        state.captured = true;
                        state.view = PaymentStatus::Captured;
                        state.view_captured = state.amount;
                    }
                    Outcome::Declined => {}
                    Outcome::AmbiguousApplied => {
                        state.captured = true;
                        state.view = PaymentStatus::NeedsReconcile;
                    }
                    Outcome::AmbiguousLost => state.view = PaymentStatus::NeedsReconcile,
                }
            }
            Command::RefundFull { key, outcome } | Command::RefundPartial { key, outcome, .. } => {
                let Some(cents) = state.legal_refund(command) else {
                    return state;
                };
                // A key already applied is refused before sending, whatever the amount.
                if state.view_keys.contains_key(key) {
                    return state;
                }
                match outcome {
                    Outcome::Ok => {
                        assert!(
                            !state.refund_keys.contains(key),
                            "a key the gateway applied is always known to the payment"
                        );
                        state.gateway_applies_refund(*key, cents);
                        state.view_keys.insert(*key, cents);
                        if state.view == PaymentStatus::Authorized {
                            state.view = PaymentStatus::Voided;
                        } else {
                            state.view_refunded += cents;
                            state.view = if state.view_refunded == state.view_captured {
                                PaymentStatus::Refunded
                            } else {
                                PaymentStatus::PartiallyRefunded
                            };
                        }
                    }
                    Outcome::Declined => {}
                    Outcome::AmbiguousApplied => {
                        state.gateway_applies_refund(*key, cents);
                        state.view = PaymentStatus::NeedsReconcile;
                        state.refund_in_doubt = Some((*key, cents));
                    }
                    Outcome::AmbiguousLost => {
                        state.view = PaymentStatus::NeedsReconcile;
                        state.refund_in_doubt = Some((*key, cents));
                    }
                }
            }
        }
        state
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource("regressions"))),
        .. ProptestConfig::default()
    })]

    #[test]
    fn payment_matches_the_model(sequential 1..40 => Harness);
}
