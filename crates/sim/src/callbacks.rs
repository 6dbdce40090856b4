//! Signed callbacks to the merchant (`status_url`, `recurringURL`), their delivery log, and
//! the built-in merchant inbox that verifies and acknowledges them.

use std::collections::{BTreeMap, VecDeque};
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

/// The most delivery attempts the history keeps; older ones fall off (and are counted).
pub const DELIVERY_HISTORY_MAX: usize = 10_000;

/// The delivery history: the last [`DELIVERY_HISTORY_MAX`] attempts, oldest first (it reads
/// as that list), and counters for what it no longer holds or never sent.
#[derive(Clone, Debug, Default)]
pub struct DeliveryLog {
    attempts: VecDeque<Delivery>,
    /// Attempts that fell off the history (the oldest, when it was full).
    pub dropped: u64,
    /// Callbacks handed to the server's delivery queue.
    pub queued: u64,
    /// Callbacks never delivered because the delivery queue was full.
    pub refused: u64,
}

impl DeliveryLog {
    /// Records one attempt, dropping the oldest when the history is full.
    pub fn push(&mut self, delivery: Delivery) {
        if self.attempts.len() >= DELIVERY_HISTORY_MAX {
            self.attempts.pop_front();
            self.dropped += 1;
        }
        self.attempts.push_back(delivery);
    }

    /// The latest attempt.
    pub fn last(&self) -> Option<&Delivery> {
        self.attempts.back()
    }

    /// The last `count` attempts, oldest first (a copy: taken under the lock, serialised
    /// after it).
    pub fn latest(&self, count: usize) -> Vec<Delivery> {
        let skip = self.attempts.len().saturating_sub(count);
        self.attempts.range(skip..).cloned().collect()
    }
}

impl Deref for DeliveryLog {
    type Target = VecDeque<Delivery>;
    fn deref(&self) -> &VecDeque<Delivery> {
        &self.attempts
    }
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

/// The most notifications the built-in merchant inbox keeps; older ones fall off.
pub const INBOX_MAX_ENTRIES: usize = 10_000;

/// The most body bytes the inbox keeps in all; the oldest entries fall off beyond it.
pub const INBOX_MAX_BYTES: usize = 8 * 1024 * 1024;

/// The most transactions whose `?nack=` refusals the inbox remembers at once.
const INBOX_MAX_REFUSALS: usize = 10_000;

/// A notification the built-in merchant inbox received.
#[derive(Clone, Debug, Serialize)]
pub struct InboxEntry {
    /// Its number: 1 for the first notification the inbox ever received, and so on (entries
    /// that fell off keep their numbers, so `after=` pages stay exact).
    pub seq: u64,
    /// The raw form body.
    pub body: String,
    /// Whether its fgkey verified with the sandbox's secret.
    pub verified: bool,
    /// Whether the inbox acknowledged it.
    pub acknowledged: bool,
}

/// The built-in merchant inbox (`/_sim/inbox`): the last [`INBOX_MAX_ENTRIES`]
/// notifications it received (at most [`INBOX_MAX_BYTES`] of bodies), in order. It reads as
/// that list.
#[derive(Clone, Debug, Default)]
pub struct Inbox {
    entries: VecDeque<InboxEntry>,
    bytes: usize,
    received: u64,
    /// Entries that fell off (the oldest, when the inbox was full).
    pub dropped: u64,
    /// Deliveries refused so far, per transaction (`?nack=n` refuses the first n).
    refusals: BTreeMap<String, u32>,
}

impl Inbox {
    /// Records a notification; acknowledges it unless the first `nack` deliveries of its
    /// transaction are to be refused. Returns whether it was acknowledged.
    pub fn receive(&mut self, body: &[u8], verified: bool, nack: u32) -> bool {
        let acknowledged = nack == 0 || {
            let key = Notification::parse(body)
                .ok()
                .and_then(|n| n.transaction_id())
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default();
            if self.refusals.len() >= INBOX_MAX_REFUSALS && !self.refusals.contains_key(&key) {
                // Forget the oldest-named transaction's count rather than grow for ever.
                self.refusals.pop_first();
            }
            let refused = self.refusals.entry(key).or_insert(0);
            let acknowledged = *refused >= nack;
            if !acknowledged {
                *refused += 1;
            }
            acknowledged
        };
        self.received += 1;
        let body = String::from_utf8_lossy(body).into_owned();
        self.bytes += body.len();
        self.entries.push_back(InboxEntry {
            seq: self.received,
            body,
            verified,
            acknowledged,
        });
        while self.entries.len() > INBOX_MAX_ENTRIES || self.bytes > INBOX_MAX_BYTES {
            let Some(oldest) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= oldest.body.len();
            self.dropped += 1;
        }
        acknowledged
    }

    /// Body bytes held now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Notifications received since the sandbox started (kept or fallen off).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// A page of entries: those numbered after `after` (from the oldest kept), at most
    /// `limit` of them and at most [`INBOX_PAGE_MAX_BYTES`] of bodies (always at least one
    /// entry when there is one). A copy: taken under the lock, serialised after it.
    pub fn page(&self, after: u64, limit: usize) -> InboxPage {
        let limit = limit.clamp(1, INBOX_PAGE_MAX);
        // Entries are numbered consecutively, so the first one after `after` is found by
        // arithmetic, not by a scan.
        let first_seq = self.entries.front().map_or(self.received + 1, |e| e.seq);
        let skip = usize::try_from(after.saturating_add(1).saturating_sub(first_seq))
            .unwrap_or(usize::MAX);
        let mut entries = Vec::new();
        let mut bytes = 0;
        let mut next = None;
        for entry in self.entries.range(skip.min(self.entries.len())..) {
            if entries.len() == limit
                || (!entries.is_empty() && bytes + entry.body.len() > INBOX_PAGE_MAX_BYTES)
            {
                next = entries.last().map(|e: &InboxEntry| e.seq);
                break;
            }
            bytes += entry.body.len();
            entries.push(entry.clone());
        }
        InboxPage {
            entries,
            next,
            received: self.received,
            dropped: self.dropped,
            bytes: self.bytes,
        }
    }
}

/// The most entries one `/_sim/inbox` page holds.
pub const INBOX_PAGE_MAX: usize = 1_000;

/// The most body bytes one `/_sim/inbox` page holds (one larger entry still goes alone).
pub const INBOX_PAGE_MAX_BYTES: usize = 1024 * 1024;

/// One page of the inbox (`GET /_sim/inbox?after=N&limit=M`).
#[derive(Clone, Debug, Serialize)]
pub struct InboxPage {
    /// The entries, oldest first.
    pub entries: Vec<InboxEntry>,
    /// Where the following page starts (`after=next`); `null` on the last page.
    pub next: Option<u64>,
    /// Notifications received in all.
    pub received: u64,
    /// Entries that fell off the inbox.
    pub dropped: u64,
    /// Body bytes the inbox holds.
    pub bytes: usize,
}

impl Deref for Inbox {
    type Target = VecDeque<InboxEntry>;
    fn deref(&self) -> &VecDeque<InboxEntry> {
        &self.entries
    }
}

impl Serialize for Inbox {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.entries.serialize(s)
    }
}
