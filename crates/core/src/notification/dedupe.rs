//! A notification's identity, and remembering which were applied.

use std::collections::HashSet;
use std::fmt;

use super::{Notification, NotificationError};
use crate::ids::TransactionId;

/// The identity of one notification: transaction id, `status` and `rescode` (trimmed).
///
/// A redelivery repeats all three; a later, different notification about the same
/// transaction (`Registered` → `Sale`, a failure → a success) differs in one of them and is
/// applied. Its [`Display`](fmt::Display) form (`<transaction id>|<status>|<rescode>`) is
/// what a database keeps under a unique constraint.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NotificationKey {
    /// The transaction.
    pub transaction_id: TransactionId,
    /// `status` as sent (trimmed), empty when absent.
    pub status: String,
    /// `rescode` as sent (trimmed), empty when absent.
    pub rescode: String,
}

impl fmt::Display for NotificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}|{}|{}",
            self.transaction_id, self.status, self.rescode
        )
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

    /// The dedupe key of a notification: transaction id, status and rescode.
    pub fn key(notification: &Notification<'_>) -> Result<NotificationKey, NotificationError> {
        let transaction_id = notification
            .transaction_id()
            .ok_or(NotificationError::MissingField("transaction id"))?;
        let trimmed = |key: &str| notification.get(key).map_or("", str::trim).to_owned();
        Ok(NotificationKey {
            transaction_id,
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
