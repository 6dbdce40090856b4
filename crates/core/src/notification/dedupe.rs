//! A notification's identity, and remembering which were applied.

use std::collections::HashSet;
use std::fmt;

use super::{Notification, NotificationError};
use crate::codes::TransactionType;
use crate::ids::{PayerAuthId, TransactionId};

/// What a notification is about: a transaction, or — for a `PAYER_AUTH` result, which has
/// no transaction yet — the payer authentication.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NotificationSubject {
    /// The transaction (`transaction_id` / `transid`).
    Transaction(TransactionId),
    /// The payer authentication (`payer_auth_id` / `payerauthid`) of a `PAYER_AUTH` result.
    PayerAuthentication(PayerAuthId),
}

/// The identity of one notification: its subject (transaction id, or payer authentication
/// id for a `PAYER_AUTH` result), `status` and `rescode` (trimmed).
///
/// A redelivery repeats all three; a later, different notification about the same
/// transaction (`Registered` → `Sale`, a failure → a success) differs in one of them and is
/// applied. Its [`Display`](fmt::Display) form (`<transaction id>|<status>|<rescode>`, or
/// `payer_auth:<payer auth id>|<status>|<rescode>`) is what a database keeps under a unique
/// constraint; the prefix keeps the two kinds of id apart.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NotificationKey {
    /// What it is about.
    pub subject: NotificationSubject,
    /// `status` as sent (trimmed), empty when absent.
    pub status: String,
    /// `rescode` as sent (trimmed), empty when absent.
    pub rescode: String,
}

impl fmt::Display for NotificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.subject {
            NotificationSubject::Transaction(id) => write!(f, "{id}")?,
            NotificationSubject::PayerAuthentication(id) => write!(f, "payer_auth:{id}")?,
        }
        write!(f, "|{}|{}", self.status, self.rescode)
    }
}

/// Remembers which notifications were already applied, so that a redelivered `status_url`
/// is acknowledged but not applied twice, while a new notification about the same
/// transaction (another `status` or `rescode`) is applied.
///
/// In memory: a service with several instances keeps the same set in its database, keyed the
/// same way ([`Deduplicator::key`]).
#[derive(Clone, Debug, Default)]
pub struct Deduplicator {
    seen: HashSet<NotificationKey>,
}

impl Deduplicator {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The dedupe key of a notification: subject, status and rescode. A `PAYER_AUTH`
    /// result's subject is its `payer_auth_id` (it has no transaction id); every other
    /// notification's is its transaction id.
    pub fn key(notification: &Notification<'_>) -> Result<NotificationKey, NotificationError> {
        let subject = if notification.transaction_type() == Some(TransactionType::PayerAuth) {
            let id = notification
                .payer_auth_id()
                .filter(|id| !id.is_empty())
                .ok_or(NotificationError::MissingField("payer_auth_id"))?;
            NotificationSubject::PayerAuthentication(PayerAuthId::new(id))
        } else {
            NotificationSubject::Transaction(
                notification
                    .transaction_id()
                    .ok_or(NotificationError::MissingField("transaction id"))?,
            )
        };
        let trimmed = |key: &str| notification.get(key).map_or("", str::trim).to_owned();
        Ok(NotificationKey {
            subject,
            status: trimmed("status"),
            rescode: trimmed("rescode"),
        })
    }

    /// Records the notification; `Ok(true)` the first time its identity is seen,
    /// `Ok(false)` for a redelivery.
    pub fn first_delivery(
        &mut self,
        notification: &Notification<'_>,
    ) -> Result<bool, NotificationError> {
        let key = Self::key(notification)?;
        Ok(self.seen.insert(key))
    }

    /// How many distinct notifications were recorded.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}
