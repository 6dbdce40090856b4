//! The test controls' reads of a growing state (`/_sim/ledger`, `/_sim/inbox`) and the
//! clock advance that may run many charges. Neither is done whole while the sandbox lock is
//! held: a read copies a bounded page under the lock and is serialised after it
//! ([`LedgerPage`], [`InboxPage`]); an advance runs in bounded steps, each under the lock,
//! with the lock released between them ([`Sandbox::advance_step`], at most
//! [`ADVANCE_STEP_CHARGES`] charges a step).

use std::collections::BTreeMap;

use eximbay_core::Timestamp;
use http::StatusCode;
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use super::{Handled, json_response};
use crate::callbacks::{Callback, Delivery, InboxPage};
use crate::ledger::LedgerPayment;
use crate::recurring::Registration;
use crate::sandbox::{LEDGER_PAGE_MAX, Sandbox};

/// A page to answer with: copied under the lock, serialised after it.
#[derive(Debug)]
pub(crate) enum Page {
    Ledger(Box<LedgerPage>),
    Inbox(InboxPage),
    Tokens(TokensPage),
    Authentications(AuthenticationsPage),
}

impl Page {
    /// The JSON answer (the work proportional to the page, done without the lock).
    pub(crate) fn into_handled(self) -> Handled {
        let response = match self {
            Page::Ledger(page) => json_response(StatusCode::OK, &page),
            Page::Inbox(page) => json_response(StatusCode::OK, &page),
            Page::Tokens(page) => json_response(StatusCode::OK, &page),
            Page::Authentications(page) => json_response(StatusCode::OK, &page),
        };
        Handled::respond(response)
    }
}

/// One `/_sim/ledger` answer: a page of payments (at most [`LEDGER_PAGE_MAX`]), a page of
/// registrations (as many at most), the last [`LEDGER_PAGE_MAX`] delivery attempts, and the
/// delivery and inbox counters. It holds no inbox entries (`/_sim/inbox` pages those).
#[derive(Debug, Serialize)]
pub struct LedgerPage {
    /// The test clock (UNIX seconds).
    pub now: i64,
    /// Its date in KST (`YYYYMMDD`).
    pub kst_date: String,
    /// The payments, by transaction id.
    #[serde(serialize_with = "as_map")]
    pub payments: Vec<(String, LedgerPayment)>,
    /// Where the next page of payments starts (`after=`), if there is one.
    pub next: Option<String>,
    /// The registrations, by recurring id.
    #[serde(serialize_with = "as_map")]
    pub recurring: Vec<(String, Registration)>,
    /// Where the next page of registrations starts (`recurring_after=`), if there is one.
    pub recurring_next: Option<String>,
    /// The latest delivery attempts, oldest first.
    pub deliveries: Vec<Delivery>,
    /// What the delivery queue did with the callbacks handed to it.
    pub callbacks: CallbackCounters,
    /// What the inbox holds and dropped.
    pub inbox: InboxCounters,
}

/// The delivery counters shown with the ledger.
#[derive(Debug, Serialize)]
pub struct CallbackCounters {
    /// Callbacks accepted by the delivery queue.
    pub queued: u64,
    /// Callbacks refused because the queue was full (never delivered).
    pub refused: u64,
    /// Delivery attempts that fell off the history.
    pub history_dropped: u64,
}

/// The inbox counters shown with the ledger.
#[derive(Debug, Serialize)]
pub struct InboxCounters {
    /// Notifications received in all.
    pub received: u64,
    /// Entries held now.
    pub kept: usize,
    /// Entries that fell off.
    pub dropped: u64,
    /// Body bytes held now.
    pub bytes: usize,
}

fn as_map<S: Serializer, V: Serialize>(pairs: &[(String, V)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

/// Which part of the ledger to show.
#[derive(Debug, Default)]
pub(crate) struct LedgerQuery {
    pub(crate) order_id: Option<String>,
    pub(crate) after: Option<String>,
    pub(crate) limit: usize,
    pub(crate) recurring_after: Option<String>,
}

impl Sandbox {
    /// A copy of one page of the ledger: payments in transaction-id order (those of one
    /// `order_id`, or all), at most `limit` after the id `after` (never more than
    /// [`LEDGER_PAGE_MAX`]); registrations after `recurring_after` (as many at most); the
    /// last [`LEDGER_PAGE_MAX`] deliveries. Bounded work, whatever the ledger's size.
    pub fn ledger_page(
        &self,
        order_id: Option<&str>,
        after: Option<&str>,
        limit: usize,
        recurring_after: Option<&str>,
    ) -> LedgerPage {
        let limit = limit.clamp(1, LEDGER_PAGE_MAX);
        let (payments, next) = first_of(self.ledger.payments_after(order_id, after), limit);
        let from = recurring_after.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let registrations = registrations_after(&self.recurring.registrations, from);
        let (recurring, recurring_next) = first_of(registrations, LEDGER_PAGE_MAX);
        LedgerPage {
            now: self.now().0,
            kst_date: self.now().kst_date().to_yyyymmdd(),
            payments,
            next,
            recurring,
            recurring_next,
            deliveries: self.deliveries.latest(LEDGER_PAGE_MAX),
            callbacks: CallbackCounters {
                queued: self.deliveries.queued,
                refused: self.deliveries.refused,
                history_dropped: self.deliveries.dropped,
            },
            inbox: InboxCounters {
                received: self.inbox.received(),
                kept: self.inbox.len(),
                dropped: self.inbox.dropped,
                bytes: self.inbox.bytes(),
            },
        }
    }

    /// [`Sandbox::ledger_page`] (with the first registrations) as JSON.
    pub fn ledger_json(&self, order_id: Option<&str>, after: Option<&str>, limit: usize) -> Value {
        json!(self.ledger_page(order_id, after, limit, None))
    }
}

fn registrations_after<'a>(
    registrations: &'a BTreeMap<String, Registration>,
    from: std::ops::Bound<&'a str>,
) -> impl Iterator<Item = (&'a String, &'a Registration)> + 'a {
    registrations.range::<str, _>((from, std::ops::Bound::Unbounded))
}

/// The first `limit` items, copied, and the key the next page starts after (the last one
/// shown) when there are more.
fn first_of<'a, V: Clone + 'a>(
    items: impl Iterator<Item = (&'a String, &'a V)>,
    limit: usize,
) -> (Vec<(String, V)>, Option<String>) {
    let mut page: Vec<(String, V)> = Vec::new();
    for (key, value) in items {
        if page.len() == limit {
            let next = page.last().map(|(key, _)| key.clone());
            return (page, next);
        }
        page.push((key.clone(), value.clone()));
    }
    (page, None)
}

/// The most recurring charges one step of an advance runs while holding the lock.
pub const ADVANCE_STEP_CHARGES: usize = 100;

/// A clock advance, run in steps ([`Sandbox::advance_step`]).
#[derive(Debug)]
pub(crate) struct ClockRun {
    target: Timestamp,
    charges: usize,
}

impl ClockRun {
    /// An advance of `seconds` from the clock's time now.
    pub(crate) fn new(sandbox: &Sandbox, seconds: i64) -> Self {
        ClockRun {
            target: sandbox.advance_target(seconds),
            charges: 0,
        }
    }

    /// Runs at most `max_charges` charges; returns their callbacks and whether the clock
    /// reached its target.
    pub(crate) fn step(
        &mut self,
        sandbox: &mut Sandbox,
        max_charges: usize,
    ) -> (Vec<Callback>, bool) {
        let (callbacks, done) = sandbox.advance_step(self.target, max_charges);
        self.charges += callbacks.len();
        (callbacks, done)
    }

    /// The answer once the run is done: the clock and how many charges ran.
    pub(crate) fn answer(&self, sandbox: &Sandbox, callbacks: Vec<Callback>) -> Handled {
        let mut clock = clock_json(sandbox);
        if let Some(fields) = clock.as_object_mut() {
            fields.insert("charges".to_owned(), json!(self.charges));
        }
        Handled::with_callbacks(json_response(StatusCode::OK, &clock), callbacks)
    }
}

/// The most entries `/_sim/tokens` and `/_sim/authentications` list: the newest ones.
pub(crate) const LIST_MAX: usize = 1_000;

/// `GET /_sim/tokens`: the newest stored cards, newest first, and how many there are.
#[derive(Debug, Serialize)]
pub(crate) struct TokensPage {
    tokens: Vec<TokenRow>,
    total: usize,
}

#[derive(Debug, Serialize)]
struct TokenRow {
    token_id: String,
    /// The payment that stored the card.
    transaction_id: String,
    state: &'static str,
    rebills: Vec<String>,
}

impl TokensPage {
    /// Copies at most [`LIST_MAX`] cards (under the lock).
    pub(crate) fn copy(tokens: &crate::tokens::Tokens) -> Self {
        let rows = tokens.cards().rev().take(LIST_MAX);
        TokensPage {
            tokens: rows
                .map(|(token_id, card)| TokenRow {
                    token_id: token_id.to_owned(),
                    transaction_id: card.transaction_id.clone(),
                    state: if card.deleted { "Deleted" } else { "Active" },
                    rebills: card.rebills.clone(),
                })
                .collect(),
            total: tokens.cards().len(),
        }
    }
}

/// `GET /_sim/authentications`: the newest payer authentications, newest first.
#[derive(Debug, Serialize)]
pub(crate) struct AuthenticationsPage {
    authentications: Vec<AuthenticationRow>,
    total: usize,
}

#[derive(Debug, Serialize)]
struct AuthenticationRow {
    payer_auth_id: String,
    order_id: String,
    currency: String,
    amount: String,
    /// The payment a confirm made with it.
    confirmed_as: Option<String>,
}

impl AuthenticationsPage {
    /// Copies at most [`LIST_MAX`] authentications (under the lock).
    pub(crate) fn copy(authentications: &crate::authentications::Authentications) -> Self {
        let rows = authentications.all().rev().take(LIST_MAX);
        AuthenticationsPage {
            authentications: rows
                .map(|(payer_auth_id, auth)| AuthenticationRow {
                    payer_auth_id: payer_auth_id.to_owned(),
                    order_id: auth.order_id.clone(),
                    currency: auth.currency.clone(),
                    amount: auth.amount.clone(),
                    confirmed_as: auth.confirmed.clone(),
                })
                .collect(),
            total: authentications.all().len(),
        }
    }
}

/// The test clock as `/_sim/clock` answers it: UNIX seconds, and the date and time in Korea.
pub(super) fn clock_json(sandbox: &Sandbox) -> Value {
    json!({
        "now": sandbox.now().0,
        "kst_date": sandbox.now().kst_date().to_yyyymmdd(),
        "kst_datetime": sandbox.kst_datetime(),
    })
}
