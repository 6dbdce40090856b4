//! Authorizations lapse (issuer-dependent; Eximbay documents 7–14 days): when a payment was
//! authorized, and the merchant's limit on that age.

use super::{Payment, PaymentRefusal, PaymentStatus};
use crate::ops::capture::Capture;
use crate::time::Timestamp;

impl Payment {
    /// Records when the payment was authorized (the notification's `transaction_date`;
    /// [`Payment::from_status_notification`] sets it when the notification carries one).
    pub fn with_authorized_at(mut self, at: Timestamp) -> Self {
        self.authorized_at = Some(at);
        self
    }

    /// An expiry policy: authorizations lapse after an issuer-dependent time (Eximbay
    /// documents 7–14 days), so [`Payment::capture_at`] refuses one older than `days` and
    /// [`Payment::is_expired`] tells a sweeper which to void or chase. Off by default;
    /// a payment without a recorded authorization time never expires.
    pub fn with_authorization_expiry(mut self, days: u32) -> Self {
        self.authorization_expires_after_days = Some(days);
        self
    }

    /// When the payment was authorized, when known.
    pub fn authorized_at(&self) -> Option<Timestamp> {
        self.authorized_at
    }

    /// Whether an uncaptured authorization is past the expiry policy at `now` (the caller's
    /// clock). Never true without a policy, an authorization time, or once captured.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        match (
            self.status,
            self.authorized_at,
            self.authorization_expires_after_days,
        ) {
            (PaymentStatus::Authorized, Some(at), Some(days)) => {
                now.0.saturating_sub(at.0) > i64::from(days) * 86_400
            }
            _ => false,
        }
    }

    /// The capture, refused when the authorization is past the expiry policy at `now`.
    pub fn capture_at(&self, now: Timestamp) -> Result<Capture, PaymentRefusal> {
        if self.is_expired(now) {
            return Err(PaymentRefusal::AuthorizationExpired {
                authorized_at: self.authorized_at.unwrap_or(now),
                days: self.authorization_expires_after_days.unwrap_or_default(),
            });
        }
        self.capture()
    }
}
