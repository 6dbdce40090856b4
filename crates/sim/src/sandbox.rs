//! The sandbox's state: who it is, its test clock, and the state modules it holds — the
//! [`Ledger`], the recurring [`Registrations`], the scripted [`Faults`], the callbacks'
//! [`Signer`], delivery log and merchant [`Inbox`]. The operations here span several of them
//! (a completed payment window makes a payment, maybe a registration, and a callback; a clock
//! advance runs charges into the ledger). The HTTP surfaces that drive it are in
//! [`crate::routes`]; nothing here knows about them but `Sandbox::handle`, the entry
//! point, which is beside the struct in its own file (`sandbox/entry.rs`).

mod entry;

use crate::authentications::Authentications;
use crate::tokens::Tokens;
use std::sync::Arc;

use base64::Engine as _;
use eximbay_core::{Date, Timestamp};
use rust_decimal::Decimal;

use crate::behaviour::{Behaviour, CallbackNames, CashSaleTransactionId, Surface};
use crate::callbacks::{Callback, DeliveryLog, Inbox, Signer};
use crate::commands::NewPayment;
use crate::faults::{Fault, Faults};
use crate::ledger::{Ledger, LedgerPayment, valid_amount};
use crate::recurring::{Registration, Registrations};
use crate::results::{self, ResultStamp};
use crate::windows::Windows;

/// The public test MID, API key and secret the sandbox uses unless configured otherwise.
pub const DEFAULT_MID: &str = "1849705C64";
/// Default API key (Eximbay's public test key).
pub const DEFAULT_API_KEY: &str = "test_1849705C642C217E0B2D";
/// Default secret key (the public test secret).
pub const DEFAULT_SECRET_KEY: &str = "289F40E6640124B2628640168C3C5464";

/// The most payments (and registrations, and deliveries) one `/_sim/ledger` answer holds.
pub const LEDGER_PAGE_MAX: usize = 1_000;

/// The longest one clock advance may be (ten years): a request cannot make the sandbox
/// compute for ever.
pub const MAX_ADVANCE_DAYS: i64 = 3_660;

/// Who the sandbox is.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The merchant id it serves.
    pub mid: String,
    /// The API key it accepts.
    pub api_key: String,
    /// The secret it signs callbacks with.
    pub secret_key: String,
    /// The test clock's start.
    pub start: Timestamp,
    /// The choices where the gateway's behaviour is not documented.
    pub behaviour: Behaviour,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            mid: DEFAULT_MID.to_owned(),
            api_key: DEFAULT_API_KEY.to_owned(),
            secret_key: DEFAULT_SECRET_KEY.to_owned(),
            // 2026-01-01T12:00:00+09:00
            start: Timestamp(1_767_236_400),
            behaviour: Behaviour::default(),
        }
    }
}

/// The part of the sandbox fixed when it is made, which requests are read with before the
/// lock is taken: nothing in it ever changes.
#[derive(Clone, Debug)]
pub(crate) struct FrontDoor {
    /// `Basic base64("<api_key>:")`, computed once.
    pub(crate) expected_authorization: Arc<str>,
    /// Signs and verifies fgkeys.
    pub(crate) signer: Arc<Signer>,
    /// The merchant id forms must carry.
    pub(crate) mid: Arc<str>,
}

/// The whole sandbox state. A clone is an independent copy (the fuzz checks start every
/// input from one seeded sandbox this way).
#[derive(Clone, Debug)]
pub struct Sandbox {
    cfg: SandboxConfig,
    /// What requests are read with before the lock: the `Authorization` header the v1
    /// API expects and the signer. Fixed when the sandbox is made.
    front_door: FrontDoor,
    now: Timestamp,
    /// Payments and refunds.
    pub ledger: Ledger,
    /// Payer authentications made by `PAYER_AUTH` windows, and their confirms.
    pub authentications: Authentications,
    /// Stored cards (token billing).
    pub tokens: Tokens,
    /// Recurring registrations.
    pub recurring: Registrations,
    pub(crate) faults: Faults,
    /// Callback deliveries, as reported by the server (the latest, and counters).
    pub deliveries: DeliveryLog,
    /// What the built-in merchant inbox received.
    pub inbox: Inbox,
    /// Payment windows opened and not finished yet, and the bodies `ready` signed.
    pub windows: Windows,
}

impl Sandbox {
    /// A sandbox with an empty ledger.
    pub fn new(cfg: SandboxConfig) -> Self {
        Sandbox {
            now: cfg.start,
            front_door: FrontDoor {
                signer: Arc::new(Signer::new(&cfg.secret_key)),
                expected_authorization: format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{}:", cfg.api_key))
                )
                .into(),
                mid: cfg.mid.as_str().into(),
            },
            cfg,
            ledger: Ledger::default(),
            authentications: Authentications::default(),
            tokens: Tokens::default(),
            recurring: Registrations::default(),
            faults: Faults::default(),
            deliveries: DeliveryLog::default(),
            inbox: Inbox::default(),
            windows: Windows::default(),
        }
    }

    /// What requests are read with before the lock (cheap to clone).
    pub(crate) fn front_door(&self) -> &FrontDoor {
        &self.front_door
    }

    /// Signs and verifies forms with the sandbox's secret key.
    pub(crate) fn signer(&self) -> &Signer {
        &self.front_door.signer
    }

    /// The configuration.
    pub fn config(&self) -> &SandboxConfig {
        &self.cfg
    }

    /// The test clock.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The choices where the gateway's behaviour is not documented.
    pub fn behaviour(&self) -> Behaviour {
        self.cfg.behaviour
    }

    /// Changes those choices (tests run the client under each).
    pub fn set_behaviour(&mut self, behaviour: Behaviour) {
        self.cfg.behaviour = behaviour;
    }

    /// Writes an amount the way the gateway echoes it on `surface`
    /// ([`Behaviour::echoed_amounts`]).
    pub fn echo(&self, surface: Surface, value: Decimal, currency: &str) -> String {
        self.cfg
            .behaviour
            .echoed_amounts
            .on(surface)
            .write(value, currency)
    }

    /// Echoes an amount text as registered (unreadable text is echoed as it is).
    pub(crate) fn echo_text(&self, surface: Surface, text: &str, currency: &str) -> String {
        (self.cfg.behaviour.echoed_amounts).write_text(surface, text, currency)
    }

    /// What a payment's result takes from the sandbox: its MID, the test clock's time and
    /// how it echoes amounts.
    pub(crate) fn result_stamp(&self) -> ResultStamp<'_> {
        ResultStamp {
            mid: &self.cfg.mid,
            resdt: self.kst_datetime(),
            echoed_amounts: self.cfg.behaviour.echoed_amounts,
        }
    }

    /// Adds a scripted fault; `false` (and nothing added) when
    /// [`MAX_FAULTS`](crate::faults::MAX_FAULTS) are queued already.
    pub fn add_fault(&mut self, fault: Fault) -> bool {
        self.faults.add(fault)
    }

    /// How many more faults can be queued.
    pub fn fault_room(&self) -> usize {
        self.faults.room()
    }

    /// Removes every scripted fault not used yet.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// Signs form fields with the sandbox secret and encodes them.
    pub fn signed_form(&self, fields: &[(&str, String)]) -> String {
        self.signer().signed_form(fields)
    }

    /// Whether a form body carries a valid fgkey from this sandbox.
    pub fn verify_form(&self, body: &[u8]) -> bool {
        self.signer().verify_form(body)
    }

    /// `YYYYMMDDhhmmss` in KST.
    pub fn kst_datetime(&self) -> String {
        let local = self.now.0 + eximbay_core::time::KST_OFFSET_SECONDS;
        let seconds = local.rem_euclid(86_400);
        let date = self.now.kst_date();
        // One formatting pass (every capture and refund writes a date under the lock).
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            date.year(),
            date.month(),
            date.day(),
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )
    }

    /// A new 24-character transaction id: MID + KST date + sequence.
    pub(crate) fn new_transaction_id(&mut self) -> String {
        self.ledger.new_transaction_id(&self.cfg.mid)
    }

    /// Creates a payment as if the buyer completed the payment window, optionally with a
    /// recurring registration, and returns it with the status callback to deliver. Nothing
    /// is recorded when any part is refused.
    pub fn create_payment(
        &mut self,
        new: NewPayment,
    ) -> Result<(LedgerPayment, Option<Registration>, Vec<Callback>), String> {
        self.create_payment_named(new, CallbackNames::Legacy)
    }

    /// [`Sandbox::create_payment`], with the callback's fields named as `names` says.
    pub fn create_payment_named(
        &mut self,
        new: NewPayment,
        names: CallbackNames,
    ) -> Result<(LedgerPayment, Option<Registration>, Vec<Callback>), String> {
        let date = self.kst_datetime();
        let mut payment = self.ledger.open(&new, &self.cfg.mid, &date)?;
        payment.created_at = self.now.0;
        let registration = match &new.recurring {
            Some(recurring) => {
                let id = format!("RC{:018}", self.ledger.next_sequence());
                let today = self.now.kst_date();
                Some(Registration::plan(
                    id,
                    &new.order_id,
                    &new.currency,
                    recurring,
                    today,
                )?)
            }
            None => None,
        };
        // A card is stored whether or not anyone is told: its id is also in the answer of
        // `/_sim/payments` and in `/_sim/tokens`.
        let token_id = (new.token_creation && !payment.cash).then(|| {
            let token_id = format!("TK{:018}", self.ledger.next_sequence());
            self.tokens
                .create(token_id.clone(), &payment.transaction_id);
            token_id
        });
        let mut callbacks = Vec::new();
        if let Some(url) = &new.status_url {
            let mut fields = results::payment_fields(
                &self.result_stamp(),
                &payment,
                new.param1.as_deref(),
                &new.echo,
                names,
            );
            if payment.cash {
                let tid = &payment.transaction_id;
                fields.push(("status", "Registered".to_owned()));
                fields.push(("paymentURL", format!("/_sim/payments/{tid}/settle")));
            }
            if let Some(token_id) = token_id {
                // Guide §2.5.3 spells it `tokenID` (with `tokenBilling`); the v1 results
                // `token_id`.
                match names {
                    CallbackNames::Legacy => {
                        fields.push(("tokenID", token_id));
                        fields.push(("tokenBilling", "Y".to_owned()));
                    }
                    CallbackNames::V1 => fields.push(("token_id", token_id)),
                }
            }
            if let Some(r) = &registration {
                fields.push(("recurringID", r.recurring_id.clone()));
                fields.push(("recurringRetry", "0".to_owned()));
                fields.push(("recurringNext", r.first_charge.to_yyyymmdd()));
            }
            callbacks.push(Callback {
                url: url.clone(),
                body: self.signed_form(&fields),
                transaction_id: payment.transaction_id.clone(),
            });
        }
        self.ledger.insert(payment.clone())?;
        if let Some(r) = &registration {
            self.recurring.insert(r.clone());
        }
        Ok((payment, registration, callbacks))
    }

    /// Records a payer authentication (3-D Secure) as an approved `PAYER_AUTH` window would,
    /// for `/_sim/payments` with `"transaction_type": "PAYER_AUTH"`, and returns its
    /// `payer_auth_id`. No money moves; `POST /v1/payments/confirm` makes the payment.
    pub fn authenticate_payer(
        &mut self,
        order_id: &str,
        currency: &str,
        amount: &str,
    ) -> Result<String, String> {
        if order_id.is_empty() {
            return Err("order_id is required".to_owned());
        }
        if crate::ledger::valid_amount(amount, currency).is_none() {
            return Err(format!("{amount:?} is not an amount in {currency:?}"));
        }
        Ok(self.record_authentication(order_id, currency, amount).0)
    }

    /// Records an approved payer authentication; its `payer_auth_id` and the sequence
    /// number it was made from.
    pub(crate) fn record_authentication(
        &mut self,
        order_id: &str,
        currency: &str,
        amount: &str,
    ) -> (String, u64) {
        let sequence = self.ledger.next_sequence();
        let payer_auth_id = format!("PA{sequence:022}");
        self.authentications.record(
            payer_auth_id.clone(),
            crate::authentications::Authentication {
                order_id: order_id.to_owned(),
                currency: currency.to_owned(),
                amount: amount.to_owned(),
                confirmed: None,
            },
        );
        (payer_auth_id, sequence)
    }

    /// The buyer of a registered cash payment paid: the payment becomes a sale and the
    /// `status=Sale` notification goes to its `status_url`.
    pub fn settle_cash(&mut self, transaction_id: &str) -> Result<Vec<Callback>, String> {
        self.finish_cash(transaction_id, true)
    }

    /// A registered cash payment expired unpaid: it is voided and the `status=Void`
    /// notification goes to its `status_url`.
    pub fn expire_cash(&mut self, transaction_id: &str) -> Result<Vec<Callback>, String> {
        self.finish_cash(transaction_id, false)
    }

    fn finish_cash(&mut self, transaction_id: &str, paid: bool) -> Result<Vec<Callback>, String> {
        let date = self.kst_datetime();
        let mut payment = self
            .ledger
            .finish_cash(transaction_id, paid, &date)?
            .clone();
        if paid && self.cfg.behaviour.cash_sale_transaction_id == CashSaleTransactionId::New {
            // The sale is a transaction of its own; the registration stays as registered.
            payment =
                self.ledger
                    .sale_of_registration(transaction_id, &self.cfg.mid, self.now.0)?;
        }
        let Some(url) = payment.status_url.clone() else {
            return Ok(Vec::new());
        };
        let mut fields = results::payment_fields(
            &self.result_stamp(),
            &payment,
            None,
            &[],
            CallbackNames::Legacy,
        );
        fields.push(("status", if paid { "Sale" } else { "Void" }.to_owned()));
        Ok(vec![Callback {
            url,
            body: self.signed_form(&fields),
            transaction_id: payment.transaction_id,
        }])
    }

    /// Moves the test clock forward (at most [`MAX_ADVANCE_DAYS`]; beyond is clamped),
    /// running every charge that falls due on the way. The clock jumps from one due date to
    /// the next: the work is one step per charge, not per day. The server runs the same
    /// walk in bounded steps ([`Sandbox::advance_step`]), releasing its lock between them.
    pub fn advance(&mut self, seconds: i64) -> Vec<Callback> {
        let target = self.advance_target(seconds);
        let mut callbacks = Vec::new();
        loop {
            let (step, done) = self.advance_step(target, usize::MAX);
            callbacks.extend(step);
            if done {
                return callbacks;
            }
        }
    }

    /// Where an advance of `seconds` from now ends (clamped to [`MAX_ADVANCE_DAYS`]).
    pub fn advance_target(&self, seconds: i64) -> Timestamp {
        let seconds = seconds.clamp(0, MAX_ADVANCE_DAYS * 86_400);
        Timestamp(self.now.0.saturating_add(seconds))
    }

    /// One step of a walk of the clock to `target`: runs at most `max_charges` of the
    /// charges due today (each registration at most once a day), or, when none is left,
    /// moves the clock to the next due date (or to `target`). Returns the charges'
    /// callbacks and whether the clock is at `target` with nothing left to run.
    pub fn advance_step(&mut self, target: Timestamp, max_charges: usize) -> (Vec<Callback>, bool) {
        let today = self.now.kst_date();
        let due: Vec<String> = self
            .recurring
            .due(today)
            .into_iter()
            .filter(|id| {
                self.recurring
                    .registrations
                    .get(id)
                    .is_some_and(|r| r.last_attempt != Some(today))
            })
            .take(max_charges.max(1))
            .collect();
        if !due.is_empty() {
            let callbacks = due.iter().filter_map(|id| self.charge(id, today)).collect();
            return (callbacks, false);
        }
        if self.now >= target {
            return (Vec::new(), true);
        }
        self.now = match self.recurring.next_attempt() {
            Some(day) if day > today && Timestamp::kst_midnight(day) <= target => {
                Timestamp::kst_midnight(day)
            }
            _ => target,
        };
        (Vec::new(), false)
    }

    /// One charge attempt: a successful charge is a captured `PAYMENT` in the ledger; the
    /// result, either way, is POSTed signed to the `recurringURL`.
    fn charge(&mut self, recurring_id: &str, today: Date) -> Option<Callback> {
        let tid = self.new_transaction_id();
        let resdt = self.kst_datetime();
        let attempt = self.recurring.charge(recurring_id, today)?;
        let registration = &attempt.registration;
        if attempt.charged() {
            // Ids come from one sequence, so a clash cannot happen; were it to, the charge's
            // payment would be refused, never written over another.
            let _ = self.ledger.insert(LedgerPayment {
                captured: true,
                captured_date: Some(resdt.clone()),
                created_at: self.now.0,
                ..LedgerPayment::new(
                    tid.clone(),
                    registration.order_id.clone(),
                    registration.currency.clone(),
                    registration.amount.clone(),
                    valid_amount(&registration.amount, &registration.currency).unwrap_or_default(),
                    "PAYMENT".to_owned(),
                )
            });
        }
        let fields = vec![
            ("mid", self.cfg.mid.clone()),
            ("ref", registration.order_id.clone()),
            ("cur", registration.currency.clone()),
            (
                "amt",
                self.echo_text(
                    Surface::Callbacks,
                    &registration.amount,
                    &registration.currency,
                ),
            ),
            ("txntype", "PAYMENT".to_owned()),
            ("rescode", attempt.rescode.clone()),
            (
                "resmsg",
                if attempt.charged() {
                    "Success.".to_owned()
                } else {
                    "Declined".to_owned()
                },
            ),
            ("transid", tid.clone()),
            ("resdt", resdt),
            ("recurringID", registration.recurring_id.clone()),
            ("recurringRetry", attempt.attempt.to_string()),
            ("recurringNext", registration.due().to_yyyymmdd()),
        ];
        Some(Callback {
            url: registration.url.clone(),
            body: self.signed_form(&fields),
            transaction_id: tid,
        })
    }

    /// Scripts the next `count` charges of a registration to fail with `rescode`.
    pub fn decline_next_charges(&mut self, recurring_id: &str, count: u32, rescode: &str) -> bool {
        self.recurring.decline_next(recurring_id, count, rescode)
    }
}
