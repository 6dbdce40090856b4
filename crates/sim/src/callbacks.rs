//! Signed callbacks to the merchant (`status_url`, `recurringURL`), their delivery log, and
//! the built-in merchant inbox that verifies and acknowledges them.

use std::collections::BTreeMap;
use std::ops::Deref;

use eximbay_core::{Notification, SecretKey, fgkey};
use serde::Serialize;

/// Attempts at delivering one callback (the first and three retries).
pub const CALLBACK_ATTEMPTS: u32 = 4;

/// A signed form POST to the merchant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Callback {
    /// `status_url` or `recurringURL`.
    pub url: String,
    /// The form body, fgkey included.
    pub body: String,
    /// The transaction it is about.
    pub transaction_id: String,
}

/// One callback delivery attempt, as logged by the server.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    /// Where.
    pub url: String,
    /// About which transaction.
    pub transaction_id: String,
    /// Attempt number (1-based).
    pub attempt: u32,
    /// Whether the merchant acknowledged it.
    pub acknowledged: bool,
}

/// Signs and verifies form bodies with the sandbox's secret key.
#[derive(Debug)]
pub struct Signer {
    secret: Option<SecretKey>,
}

impl Signer {
    /// A signer with this secret (an unusable secret signs nothing that verifies).
    pub fn new(secret_key: &str) -> Self {
        Signer {
            secret: SecretKey::new(secret_key).ok(),
        }
    }

    /// Encodes form fields, in order, with their fgkey.
    pub fn signed_form(&self, fields: &[(&str, String)]) -> String {
        let pairs = fields.iter().map(|(k, v)| (*k, v.as_str()));
        let fgkey = self
            .secret
            .as_ref()
            .map(|secret| fgkey::sign(secret, pairs))
            .unwrap_or_default();
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            form.append_pair(k, v);
        }
        form.append_pair("fgkey", &fgkey);
        form.finish()
    }

    /// The fgkey of decoded fields.
    pub fn fgkey<'a>(&self, fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
        self.secret
            .as_ref()
            .map(|s| fgkey::sign(s, fields))
            .unwrap_or_default()
    }

    /// Whether a form body carries a valid fgkey.
    pub fn verify_form(&self, body: &[u8]) -> bool {
        let Some(secret) = &self.secret else {
            return false;
        };
        Notification::parse(body).is_ok_and(|n| n.verify(secret).is_ok())
    }
}

/// A notification the built-in merchant inbox received.
#[derive(Clone, Debug, Serialize)]
pub struct InboxEntry {
    /// The raw form body.
    pub body: String,
    /// Whether its fgkey verified with the sandbox's secret.
    pub verified: bool,
    /// Whether the inbox acknowledged it.
    pub acknowledged: bool,
}

/// The built-in merchant inbox (`/_sim/inbox`): what it received, in order. It reads as the
/// list of entries.
#[derive(Clone, Debug, Default)]
pub struct Inbox {
    entries: Vec<InboxEntry>,
    /// Deliveries refused so far, per transaction (`?nack=n` refuses the first n).
    refusals: BTreeMap<String, u32>,
}

impl Inbox {
    /// Records a notification; acknowledges it unless the first `nack` deliveries of its
    /// transaction are to be refused. Returns whether it was acknowledged.
    pub fn receive(&mut self, body: &[u8], verified: bool, nack: u32) -> bool {
        let key = Notification::parse(body)
            .ok()
            .and_then(|n| n.transaction_id())
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default();
        let refused = self.refusals.entry(key).or_insert(0);
        let acknowledged = *refused >= nack;
        if !acknowledged {
            *refused += 1;
        }
        self.entries.push(InboxEntry {
            body: String::from_utf8_lossy(body).into_owned(),
            verified,
            acknowledged,
        });
        acknowledged
    }
}

impl Deref for Inbox {
    type Target = [InboxEntry];
    fn deref(&self) -> &[InboxEntry] {
        &self.entries
    }
}

impl Serialize for Inbox {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.entries.serialize(s)
    }
}
