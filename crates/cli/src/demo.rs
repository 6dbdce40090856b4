//! `eximbay demo`: an embedded sandbox on a free loopback port, and over real HTTP through
//! the ureq adapter, a payment from authorization to full refund (with an ambiguous refund
//! reconciled on the way) and a recurring payment through charges, a failed charge and its
//! retry, an adjustment and a termination. Every notification arrives signed at the
//! sandbox's merchant inbox and is verified before it is applied.

use std::error::Error;
use std::time::{Duration, Instant};

use eximbay_core::notification::Deduplicator;
use eximbay_core::ops::MerchantParams;
use eximbay_core::ops::cancel::Refunded;
use eximbay_core::payment::PaymentTransition;
use eximbay_core::recurring::{ChargeResult, RecurringOutcome, RecurringTransition};
use eximbay_core::registration::RegistrationResult;
use eximbay_core::{
    Amount, ApiKey, Applied, Config, Currency, Date, Environment, Lang, Mid, Notification, Payment,
    Recurring, SecretKey, Timestamp,
};
use eximbay_sim::{DEFAULT_API_KEY, DEFAULT_MID, DEFAULT_SECRET_KEY};
use eximbay_sim::{RunningSandbox, SandboxConfig, ServerOptions};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// JSON calls to the sandbox's `/_sim/` controls.
struct Controls {
    agent: ureq::Agent,
    base: String,
}

impl Controls {
    fn call(&self, method: http::Method, path: &str, body: Option<&Value>) -> Result<Value> {
        let bytes = body
            .map(serde_json::to_vec)
            .transpose()?
            .unwrap_or_default();
        let request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(bytes)?;
        let mut response = self.agent.run(request)?;
        let text = response.body_mut().read_to_string()?;
        if !response.status().is_success() {
            return Err(format!("{path}: HTTP {}: {text}", response.status()).into());
        }
        Ok(serde_json::from_str(&text)?)
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.call(http::Method::POST, path, Some(body))
    }

    fn get(&self, path: &str) -> Result<Value> {
        self.call(http::Method::GET, path, None)
    }
}

/// Reads new notifications from the merchant inbox, verified and deduplicated.
struct Inbox {
    /// The number of the last inbox entry read (`/_sim/inbox?after=`).
    seen: u64,
    dedupe: Deduplicator,
    secret: SecretKey,
}

impl Inbox {
    /// Waits for the next notification not seen before and verifies it.
    fn next(&mut self, controls: &Controls) -> Result<Notification<'static>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let page = controls.get(&format!("/_sim/inbox?after={}", self.seen))?;
            let entries = field(&page, "entries")
                .as_array()
                .cloned()
                .unwrap_or_default();
            for entry in &entries {
                self.seen = field(entry, "seq").as_u64().unwrap_or(self.seen + 1);
                let body = field(entry, "body").as_str().unwrap_or_default().to_owned();
                let notification = Notification::parse(body.as_bytes())?.into_owned();
                notification.verify(&self.secret)?;
                if self.dedupe.first_delivery(&notification)? {
                    return Ok(notification);
                }
                say!("    (a redelivered notification was acknowledged again and skipped)");
            }
            if Instant::now() > deadline {
                return Err("no notification arrived".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn show(label: &str, t: &PaymentTransition) {
    say!("  {label:<44} {:?} → {:?}", t.from, t.to);
}

/// A refund's transition and what the gateway answered about it.
fn show_refund(label: &str, applied: &Applied<Refunded, PaymentTransition>) {
    show(label, &applied.transition);
    let refund = &applied.response.refund;
    say!(
        "  {:<44} gateway: refunded {} as {}, balance {}",
        "",
        refund.refund_amount,
        refund
            .refund_transaction_id
            .as_ref()
            .map_or("?", |t| t.as_str()),
        applied
            .response
            .payment
            .balance
            .as_ref()
            .map_or("?", |b| b.as_str()),
    );
}

/// A charge result as the recurringURL notification told it.
fn charge_line(charge: &ChargeResult) -> String {
    format!(
        "{} {} (rescode {})",
        charge.amount.as_ref().map_or("?", |a| a.as_str()),
        if charge.rescode.is_success() {
            "charged"
        } else {
            "declined"
        },
        charge.rescode
    )
}

fn show_recurring(label: &str, t: &RecurringTransition) {
    say!("  {label:<44} {:?} → {:?}", t.from, t.to);
}

/// Runs the demo.
pub fn run(serve: bool) -> Result<()> {
    let sandbox = RunningSandbox::start(
        SandboxConfig::default(),
        "127.0.0.1:0".parse()?,
        ServerOptions {
            callback_retry_delay: Duration::from_millis(50),
            ..ServerOptions::default()
        },
    )?;
    let base = sandbox.base_url();
    say!("Sandbox listening on {base} (MID {DEFAULT_MID}, public test key and secret)\n");
    let controls = Controls {
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into(),
        base: base.clone(),
    };
    let inbox_url = format!("{base}/_sim/inbox");
    let secret = SecretKey::new(DEFAULT_SECRET_KEY)?;
    let mut inbox = Inbox {
        seen: 0,
        dedupe: Deduplicator::new(),
        secret: secret.clone(),
    };
    let cfg = Config::new(
        Environment::custom(&base)?,
        Mid::new(DEFAULT_MID)?,
        ApiKey::new(DEFAULT_API_KEY)?,
    )?
    .with_secret_key(secret);
    let client = eximbay_ureq::Client::new(cfg)?;

    // ---- a card payment ----------------------------------------------------------------
    say!("A card payment of 25.00 USD, authorized through an AUTHORIZE payment window");
    let created = controls.post(
        "/_sim/payments",
        &json!({"order_id": "DEMO-ORDER-1", "currency": "USD", "amount": "25.00",
                "transaction_type": "AUTHORIZE", "status_url": inbox_url}),
    )?;
    let status = inbox.next(&controls)?;
    let tid = status.transaction_id().ok_or("no transaction id")?;
    say!(
        "  status_url notification verified (fgkey): transaction {tid}, rescode {}",
        status.rescode().map(|c| c.to_string()).unwrap_or_default()
    );
    let mut payment = Payment::from_status_notification(&status, Lang::En)?;
    if Some(payment.transaction_id().as_str()) != field(&created, "transaction_id").as_str() {
        return Err("the notification is about another payment".into());
    }
    show("capture", &client.capture(&mut payment)?.transition);
    show_refund(
        "refund 5.50 (ticket-1)",
        &client.refund_partial(
            &mut payment,
            Amount::parse("5.50")?,
            "ticket-1",
            Some("one item returned"),
        )?,
    );

    controls.post(
        "/_sim/faults",
        &json!({"path_contains": "/cancel", "kind": "apply_then_drop"}),
    )?;
    match client.refund_partial(&mut payment, Amount::parse("4.50")?, "ticket-2", None) {
        Err(error) if error.is_ambiguous() => {
            say!(
                "  {:<44} outcome unknown → {:?}",
                "refund 4.50 (ticket-2): connection dropped",
                payment.status()
            );
        }
        other => return Err(format!("expected an ambiguous refund, got {other:?}").into()),
    }
    let refused = client.refund_full(&mut payment, "ticket-3", None);
    say!(
        "  refund the rest now?                         refused: {}",
        refused.err().map(|e| e.to_string()).unwrap_or_default()
    );
    let reconciled = client.reconcile(&mut payment)?;
    show("reconcile (retrieve)", &reconciled.transition);
    say!(
        "  {:<44} gateway record: {} with balance {}",
        "",
        reconciled.response.status,
        reconciled
            .response
            .balance
            .as_ref()
            .map_or("?", |b| b.as_str())
    );
    say!(
        "  {:<44} refunded {} of {}, refundable {}",
        "",
        payment.refunded_amount(),
        payment.amount(),
        payment.refundable()
    );
    show_refund(
        "refund the rest (ticket-3)",
        &client.refund_full(&mut payment, "ticket-3", Some("order cancelled"))?,
    );
    let ledger = controls.get("/_sim/ledger")?;
    let entry = field(
        field(&ledger, "payments"),
        payment.transaction_id().as_str(),
    );
    say!(
        "  gateway ledger: captured {}, refunded {} in {} refund(s), none applied twice\n",
        field(entry, "captured"),
        field(entry, "refunded"),
        field(entry, "refunds").as_object().map_or(0, |r| r.len())
    );

    // ---- a recurring payment -----------------------------------------------------------
    say!("A monthly recurring payment of 10.00 USD, registered with a PAYMENT window");
    controls.post(
        "/_sim/payments",
        &json!({"order_id": "DEMO-SUBSCRIPTION", "currency": "USD", "amount": "10.00",
                "transaction_type": "PAYMENT", "status_url": inbox_url,
                "recurring": {"amount": "10.00", "url": inbox_url}}),
    )?;
    let registered = inbox.next(&controls)?;
    let registration = RegistrationResult::from_notification(&registered)?;
    let clock = controls.get("/_sim/clock")?;
    let today = clock_date(&clock)?;
    let mut recurring = Recurring::from_registration(
        &registration,
        Currency::Usd,
        Amount::parse("10.00")?,
        today.add_months(1),
    );
    say!(
        "  registered {} on {today}, next charge {}",
        registration.recurring_id,
        recurring.next_charge()
    );

    let advance_to = |date: Date| -> Result<Value> {
        let now = clock_date(&controls.get("/_sim/clock")?)?;
        let days = date.days_since_epoch() - now.days_since_epoch();
        controls.post("/_sim/clock", &json!({"advance_days": days}))
    };
    advance_to(recurring.next_charge())?;
    let charge = ChargeResult::from_notification(&inbox.next(&controls)?)?;
    show_recurring(
        &format!(
            "charge day {}: {}",
            recurring.next_charge(),
            charge_line(&charge)
        ),
        &recurring.apply(RecurringOutcome::Charged(charge))?,
    );
    say!("  {:<44} next charge {}", "", recurring.next_charge());

    let id = recurring.recurring_id().as_str().to_owned();
    controls.post(
        &format!("/_sim/recurring/{id}/decline_next"),
        &json!({"count": 1, "rescode": "HE01"}),
    )?;
    advance_to(recurring.next_charge())?;
    let failed = ChargeResult::from_notification(&inbox.next(&controls)?)?;
    show_recurring(
        &format!(
            "charge day {}: {}",
            recurring.next_charge(),
            charge_line(&failed)
        ),
        &recurring.apply(RecurringOutcome::Charged(failed))?,
    );
    controls.post("/_sim/clock", &json!({"advance_days": 1}))?;
    let retry_day = clock_date(&controls.get("/_sim/clock")?)?;
    let retried = ChargeResult::from_notification(&inbox.next(&controls)?)?;
    show_recurring(
        &format!("retry day {retry_day}: {}", charge_line(&retried)),
        &recurring.apply(RecurringOutcome::Charged(retried))?,
    );

    let clock_now = |controls: &Controls| -> Result<Timestamp> {
        Ok(Timestamp(
            field(&controls.get("/_sim/clock")?, "now")
                .as_i64()
                .unwrap_or_default(),
        ))
    };
    let refused = client.adjust_recurring(
        &mut recurring,
        Amount::parse("12.00")?,
        clock_now(&controls)?,
        MerchantParams::default(),
    );
    say!(
        "  {:<44} refused: {}",
        "adjust to 12.00 on the charge day?",
        refused.err().map(|e| e.to_string()).unwrap_or_default()
    );
    controls.post("/_sim/clock", &json!({"advance_days": 1}))?;
    let now = clock_now(&controls)?;
    show_recurring(
        "adjust to 12.00 the next day",
        &client
            .adjust_recurring(
                &mut recurring,
                Amount::parse("12.00")?,
                now,
                MerchantParams::default(),
            )?
            .transition,
    );
    say!(
        "  {:<44} now {} a month from {}",
        "",
        recurring.amount(),
        recurring.next_charge()
    );
    show_recurring(
        "terminate",
        &client
            .terminate_recurring(&mut recurring, MerchantParams::default())?
            .transition,
    );
    say!("\nDone: every request went over HTTP to the sandbox; every notification was verified.");
    if serve {
        say!(
            "\nThe sandbox stays up. Open {base}/_sim/checkout in a browser to pay through the payment \
             window by hand (Approve, Decline or Cancel); {base}/_sim/inbox shows the callbacks. Ctrl-C to stop."
        );
        loop {
            std::thread::park();
        }
    }
    Ok(())
}

/// A field of a JSON object from the sandbox (`Null` when absent).
fn field<'v>(value: &'v Value, key: &str) -> &'v Value {
    value.get(key).unwrap_or(&Value::Null)
}

fn clock_date(clock: &Value) -> Result<Date> {
    field(clock, "kst_date")
        .as_str()
        .and_then(Date::parse_yyyymmdd)
        .ok_or_else(|| "the sandbox clock has no date".into())
}
