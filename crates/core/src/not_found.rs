//! "Not found" is not "never made": the grace policy for a retrieve that answers `NONE` after
//! an ambiguous money-moving call.
//!
//! A confirm (after a payer authentication) or a rebill (of a stored card) whose outcome is
//! unknown is looked for by its order id. A `NONE` answer right after the call proves
//! nothing: no document says retrieve by order id is immediately consistent, or that it finds
//! `PAYMENT_PA` and `REBILL` transactions at once, and a payment switch has seen a gateway
//! answer "not found" right after it authorized a payment (juspay/hyperswitch #10285).
//! Sending the call again on such an answer can charge a card twice.
//!
//! So the command stays in doubt until the [`NotFoundGrace`] policy is met: `NONE` answered
//! [`none_answers`](NotFoundGrace::none_answers) times, each at least
//! [`min_wait_seconds`](NotFoundGrace::min_wait_seconds) after the ambiguous call, with no
//! other answer between them (any other answer settles the doubt at once). Time is the
//! caller's clock, passed in, as everywhere in the core.
//!
//! **What it cannot promise.** A gateway whose retrieve lags behind its ledger for longer than
//! the policy waits will still answer `NONE` for a payment it made, and the command may then
//! be sent again: a second charge. The policy narrows that window; only the gateway's own
//! idempotency could close it, and none is documented for confirm or rebill (the legacy
//! guide even accepts a repeated order id, digest §2). Space the retrieves out rather than
//! firing them in a burst, and reconcile your records against the gateway's settlement
//! reports.

use crate::time::Timestamp;

/// When a retrieve's `NONE` may be read as "the ambiguous call made nothing".
///
/// The defaults ([`NotFoundGrace::CONSERVATIVE`]) wait 15 minutes and want 3 `NONE` answers
/// after that. Lower values release a command sooner and widen the window in which a lagging
/// retrieve leads to a second charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NotFoundGrace {
    /// The least time, in seconds, between the ambiguous call and a `NONE` that counts. A
    /// `NONE` answered sooner is not counted.
    pub min_wait_seconds: u32,
    /// How many counted `NONE` answers settle the command as never made (at least 1; 0 is
    /// read as 1).
    pub none_answers: u32,
}

impl NotFoundGrace {
    /// 15 minutes, then 3 `NONE` answers.
    pub const CONSERVATIVE: NotFoundGrace = NotFoundGrace {
        min_wait_seconds: 15 * 60,
        none_answers: 3,
    };

    /// A policy of `min_wait_seconds` and `none_answers`.
    pub fn new(min_wait_seconds: u32, none_answers: u32) -> Self {
        NotFoundGrace {
            min_wait_seconds,
            none_answers,
        }
    }

    /// The `NONE` answers needed (at least 1).
    pub fn needed(&self) -> u32 {
        self.none_answers.max(1)
    }

    /// From when a `NONE` counts, for a command in doubt since `since` (`None` when that
    /// time was not recorded: then from the first `NONE`, which is later than the call).
    pub fn counts_from(&self, since: Option<Timestamp>) -> Option<Timestamp> {
        since.map(|at| Timestamp(at.0.saturating_add(i64::from(self.min_wait_seconds))))
    }

    /// Reads one `NONE` answered at `answered_at` for the command whose record is `doubt`,
    /// and counts it there when it counts.
    pub fn judge(&self, doubt: &mut NotFoundDoubt, answered_at: Timestamp) -> NotFoundVerdict {
        // A command stored before its call's time was recorded: the first NONE stands in for
        // the call, so the wait runs from a later point and only grows.
        let since = *doubt.ambiguous_at.get_or_insert(answered_at);
        let counts_from = Timestamp(since.0.saturating_add(i64::from(self.min_wait_seconds)));
        if answered_at >= counts_from {
            doubt.none_answers = doubt.none_answers.saturating_add(1);
        }
        if doubt.none_answers >= self.needed() {
            NotFoundVerdict::NeverMade
        } else {
            NotFoundVerdict::StillInDoubt {
                counted: doubt.none_answers,
                needed: self.needed(),
                not_before: counts_from.max(answered_at),
            }
        }
    }
}

impl Default for NotFoundGrace {
    fn default() -> Self {
        NotFoundGrace::CONSERVATIVE
    }
}

/// What a command in doubt has heard so far: when the ambiguous call was made and how many
/// `NONE` answers have counted since. Persisted with the machine that holds the command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NotFoundDoubt {
    /// When the ambiguous call was made (the caller's clock); `None` in a record stored
    /// before this was kept.
    #[cfg_attr(feature = "serde", serde(default))]
    pub ambiguous_at: Option<Timestamp>,
    /// `NONE` answers counted so far.
    #[cfg_attr(feature = "serde", serde(default))]
    pub none_answers: u32,
}

impl NotFoundDoubt {
    /// A command whose call at `at` had an unknown outcome; nothing heard yet.
    pub fn since(at: Timestamp) -> Self {
        NotFoundDoubt {
            ambiguous_at: Some(at),
            none_answers: 0,
        }
    }
}

/// What a machine that looks for its call in doubt by order id keeps: its grace policy and
/// what the policy has heard since the call. Stored flat in the machine's record (the
/// fields `not_found` and `grace`, each absent in records stored before it was kept).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NotFoundWatch {
    /// While a call is in doubt: when it was sent and the `NONE` answers counted since.
    #[cfg_attr(feature = "serde", serde(default))]
    pub not_found: NotFoundDoubt,
    /// When a `NONE` may be read as "the call made nothing".
    #[cfg_attr(feature = "serde", serde(default))]
    pub grace: NotFoundGrace,
}

impl NotFoundWatch {
    /// A call at `at` whose outcome is unknown: nothing heard yet.
    pub(crate) fn start(&mut self, at: Timestamp) {
        self.not_found = NotFoundDoubt::since(at);
    }

    /// The doubt is settled.
    pub(crate) fn clear(&mut self) {
        self.not_found = NotFoundDoubt::default();
    }

    /// Reads one `NONE` answered at `at` under the grace policy.
    pub(crate) fn judge(&mut self, at: Timestamp) -> NotFoundVerdict {
        self.grace.judge(&mut self.not_found, at)
    }
}

/// The grace accessors, written once for the machines that reconcile a call in doubt by
/// order id ([`Token`](crate::Token), [`PayerAuthentication`](crate::PayerAuthentication)).
pub trait AwaitsNotFound: Sized {
    /// The machine's grace policy and what it has heard.
    fn watch(&self) -> &NotFoundWatch;

    /// The same, to change.
    fn watch_mut(&mut self) -> &mut NotFoundWatch;

    /// Replaces the grace policy for a retrieve's `NONE` after an ambiguous call (default
    /// [`NotFoundGrace::CONSERVATIVE`]).
    fn with_not_found_grace(mut self, grace: NotFoundGrace) -> Self {
        self.watch_mut().grace = grace;
        self
    }

    /// The grace policy for a retrieve's `NONE`.
    fn not_found_grace(&self) -> NotFoundGrace {
        self.watch().grace
    }

    /// While a call is in doubt: when it was sent, and how many `NONE` answers have counted
    /// since.
    fn not_found(&self) -> &NotFoundDoubt {
        &self.watch().not_found
    }
}

/// What one `NONE` answer means under a [`NotFoundGrace`] policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotFoundVerdict {
    /// Still in doubt: do not send the command again. Retrieve again, not before
    /// `not_before` (sooner answers do not count).
    StillInDoubt {
        /// `NONE` answers counted so far.
        counted: u32,
        /// `NONE` answers the policy wants.
        needed: u32,
        /// When the next retrieve can count.
        not_before: Timestamp,
    },
    /// The policy is met: as far as it can tell, the call made nothing, and the command may
    /// be sent again (see the module docs for what this cannot promise).
    NeverMade,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CALL: Timestamp = Timestamp(1_000_000);

    #[test]
    fn one_none_right_after_the_call_proves_nothing() {
        let grace = NotFoundGrace::default();
        let mut doubt = NotFoundDoubt::since(CALL);
        for seconds in [0, 1, 60, 899] {
            assert_eq!(
                grace.judge(&mut doubt, Timestamp(CALL.0 + seconds)),
                NotFoundVerdict::StillInDoubt {
                    counted: 0,
                    needed: 3,
                    not_before: Timestamp(CALL.0 + 900)
                }
            );
        }
        // From 15 minutes on, three NONE answers settle it.
        let at = |s| Timestamp(CALL.0 + s);
        assert_eq!(
            grace.judge(&mut doubt, at(900)),
            NotFoundVerdict::StillInDoubt {
                counted: 1,
                needed: 3,
                not_before: at(900)
            }
        );
        assert!(matches!(
            grace.judge(&mut doubt, at(1200)),
            NotFoundVerdict::StillInDoubt { counted: 2, .. }
        ));
        assert_eq!(
            grace.judge(&mut doubt, at(1500)),
            NotFoundVerdict::NeverMade
        );
    }

    #[test]
    fn a_clock_before_the_call_counts_nothing() {
        let grace = NotFoundGrace::new(0, 1);
        let mut doubt = NotFoundDoubt::since(CALL);
        assert!(matches!(
            grace.judge(&mut doubt, Timestamp(CALL.0 - 1)),
            NotFoundVerdict::StillInDoubt { counted: 0, .. }
        ));
        assert_eq!(grace.judge(&mut doubt, CALL), NotFoundVerdict::NeverMade);
    }

    #[test]
    fn an_unrecorded_call_time_waits_from_the_first_none() {
        let grace = NotFoundGrace::new(600, 1);
        let mut doubt = NotFoundDoubt::default();
        assert!(matches!(
            grace.judge(&mut doubt, CALL),
            NotFoundVerdict::StillInDoubt { not_before, .. } if not_before == Timestamp(CALL.0 + 600)
        ));
        assert_eq!(doubt.ambiguous_at, Some(CALL));
        assert_eq!(
            grace.judge(&mut doubt, Timestamp(CALL.0 + 600)),
            NotFoundVerdict::NeverMade
        );
    }

    #[test]
    fn zero_answers_is_read_as_one_and_the_wait_saturates() {
        let grace = NotFoundGrace::new(u32::MAX, 0);
        assert_eq!(grace.needed(), 1);
        let mut doubt = NotFoundDoubt::since(Timestamp(i64::MAX - 5));
        assert!(matches!(
            grace.judge(&mut doubt, Timestamp(i64::MAX - 1)),
            NotFoundVerdict::StillInDoubt { counted: 0, .. }
        ));
        assert_eq!(grace.counts_from(None), None);
        assert_eq!(
            grace.counts_from(Some(Timestamp(i64::MAX - 5))),
            Some(Timestamp(i64::MAX))
        );
    }

    /// Tokens and payer authentications stored before the grace policy existed load, with
    /// the conservative policy and no recorded call time (the first NONE stands in for it).
    #[cfg(feature = "serde")]
    #[test]
    fn machines_stored_without_the_new_fields_load_with_the_defaults() {
        use crate::codes::Lang;
        use crate::ids::{OrderId, PayerAuthId, TokenId};
        use crate::money::{Amount, Currency};
        use crate::{PayerAuthentication, Token};

        fn without_new_fields<T: serde::Serialize>(value: &T) -> String {
            let mut json = serde_json::to_value(value).unwrap();
            let object = json.as_object_mut().unwrap();
            assert!(object.remove("not_found").is_some());
            assert!(object.remove("grace").is_some());
            json.to_string()
        }
        let token = Token::new(TokenId::new("TK1"), Lang::En)
            .with_not_found_grace(NotFoundGrace::new(1, 1));
        let old: Token = serde_json::from_str(&without_new_fields(&token)).unwrap();
        assert_eq!(old.not_found_grace(), NotFoundGrace::CONSERVATIVE);
        assert_eq!(*old.not_found(), NotFoundDoubt::default());
        let auth = PayerAuthentication::new(
            PayerAuthId::new("PA1"),
            OrderId::new("O1"),
            Currency::Usd,
            Amount::parse("1.00").unwrap(),
            Lang::En,
        )
        .unwrap();
        let old: PayerAuthentication = serde_json::from_str(&without_new_fields(&auth)).unwrap();
        assert_eq!(old, auth);
        // And a record with them keeps them.
        let kept: Token = serde_json::from_str(&serde_json::to_string(&token).unwrap()).unwrap();
        assert_eq!(kept, token);
    }

    proptest! {
        /// Whatever the policy and whenever the answers come, the command is released only
        /// once `none_answers` NONEs were answered at least `min_wait_seconds` after the call
        /// — never on fewer, never on earlier ones.
        #[test]
        fn released_only_when_enough_late_nones_were_heard(
            wait in 0u32..100_000,
            needed in 0u32..6,
            offsets in proptest::collection::vec(-10_000i64..200_000, 0..12),
        ) {
            let grace = NotFoundGrace::new(wait, needed);
            let mut doubt = NotFoundDoubt::since(CALL);
            let mut late = 0u32;
            for offset in offsets {
                let at = Timestamp(CALL.0 + offset);
                if offset >= i64::from(wait) {
                    late += 1;
                }
                let verdict = grace.judge(&mut doubt, at);
                prop_assert_eq!(doubt.none_answers, late);
                let released = verdict == NotFoundVerdict::NeverMade;
                prop_assert_eq!(released, late >= needed.max(1));
                if let NotFoundVerdict::StillInDoubt { not_before, counted, .. } = verdict {
                    prop_assert_eq!(counted, late);
                    prop_assert!(not_before.0 >= CALL.0 + i64::from(wait));
                    prop_assert!(not_before >= at);
                }
                if released {
                    break;
                }
            }
        }
    }
}
