//! The one shape of every state machine ([`Payment`](crate::Payment),
//! [`Recurring`](crate::Recurring), [`Token`](crate::Token),
//! [`PayerAuthentication`](crate::PayerAuthentication)), and the words they share.
//!
//! Every machine has the same two halves:
//!
//! 1. **produce**: [`StateMachine::produce`] reads the state and hands back the
//!    [`Operation`] an [`Ask`] calls for ([`crate::ask`]: `Capture`, `RefundPartial`,
//!    `Rebill`, `Confirm`, `TerminateRecurring`, …) with the command to absorb its finish
//!    with, or the machine's refusal (nothing is sent). Each machine also has the command
//!    methods these use (`payment.capture()`, `token.rebill(…)`, …), for callers who build
//!    and send the operation themselves;
//! 2. **absorb**: [`StateMachine::absorb`] takes how the call [`Finished`] — done with its
//!    answer, declined, rejected, failed safely, or outcome unknown — and returns one
//!    [`Transition`] (`from`, `to`, and the machine's event), or the machine's refusal with
//!    the state unchanged.
//!
//! Notifications and other answers that come without a call of ours enter through each
//! machine's `apply` (which `absorb` uses for the answers of calls). The client facades
//! ([`crate::client`]) are these two halves with a send between them, and a merchant whose
//! state lives in a database can do the same by hand: send, then absorb the
//! [`Finished`] into the record *as reloaded*.
//!
//! Naming, the same for the four machines (`X` = `Payment`, `Recurring`, `Token`,
//! `Authentication`): `XStatus` (where it stands), `XCommand` (a call whose result is being
//! absorbed, where the machine needs to know it), `XOutcome` (an answer to apply), `XEvent`
//! (what happened), `XTransition` (= `Transition<XStatus, XEvent>`), `XRefusal` (a command or
//! answer that does not fit; nothing changed).

use crate::error::GatewayError;
use crate::ops::Operation;

/// How a sent call finished: the one vocabulary every machine absorbs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finished<T> {
    /// The gateway did it; this is its answer.
    Done(T),
    /// The gateway declined it (card, issuer, fraud screening, acquirer): nothing was done.
    Declined(GatewayError),
    /// The gateway rejected the request itself (`EC*`: an integration error): nothing was
    /// done.
    Rejected(GatewayError),
    /// The call failed where nothing can have been applied (nothing reached the gateway, or
    /// an answer that is not a gateway result): nothing was done; it may be sent again.
    FailedSafely,
    /// The call may or may not have been applied: reconcile before anything else.
    OutcomeUnknown,
}

impl<T> Finished<T> {
    /// The same finish with the answer turned into another type.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Finished<U> {
        match self {
            Finished::Done(answer) => Finished::Done(f(answer)),
            Finished::Declined(error) => Finished::Declined(error),
            Finished::Rejected(error) => Finished::Rejected(error),
            Finished::FailedSafely => Finished::FailedSafely,
            Finished::OutcomeUnknown => Finished::OutcomeUnknown,
        }
    }
}

/// A state change (or a confirmed non-change) of any machine: its status before and after,
/// and what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Transition<S, E> {
    /// Status before.
    pub from: S,
    /// Status after.
    pub to: S,
    /// What happened.
    pub event: E,
}

/// The two halves every machine shares: produce the operation a command calls for
/// ([`StateMachine::produce`], with an [`Ask`]), and absorb how its call finished
/// ([`StateMachine::absorb`]).
pub trait StateMachine {
    /// Where the machine stands.
    type Status;
    /// What happened in a transition.
    type Event;
    /// What the machine must know of the call it absorbs: the command (kept in doubt if the
    /// outcome is unknown), with when it was sent for machines that wait out a grace period
    /// after an unknown outcome; `()` for machines that keep no command in doubt.
    type Command;
    /// A successful call's answer, as the machine reads it.
    type Answer;
    /// A command or answer that does not fit; the state is unchanged.
    type Refusal: std::error::Error;

    /// Where the machine stands now.
    fn status(&self) -> Self::Status;

    /// Produces the operation `ask` calls for and the command to absorb its finish with,
    /// or the machine's refusal (nothing is sent).
    fn produce<A: Ask<Self>>(&self, ask: &A) -> Result<(A::Operation, Self::Command), Self::Refusal>
    where
        Self: Sized,
    {
        ask.produce(self)
    }

    /// Absorbs how the call of `command` finished. On error the state is unchanged.
    fn absorb(
        &mut self,
        command: Self::Command,
        finished: Finished<Self::Answer>,
    ) -> Result<Transition<Self::Status, Self::Event>, Self::Refusal>;
}

/// A command to machine `M` ([`crate::ask`]): the machine turns it into the operation to
/// send, and it reads that operation's answer as the machine's [`StateMachine::Answer`].
pub trait Ask<M: StateMachine> {
    /// The operation it calls for.
    type Operation: Operation;

    /// The operation and the command to absorb its finish with, or `M`'s refusal (the state
    /// does not allow it; nothing is sent).
    fn produce(&self, machine: &M) -> Result<(Self::Operation, M::Command), M::Refusal>;

    /// The operation's answer, as `M` absorbs it.
    fn read(
        &self,
        operation: &Self::Operation,
        answer: <Self::Operation as Operation>::Output,
    ) -> M::Answer;
}

/// The transition type of machine `M`.
pub type TransitionOf<M> = Transition<<M as StateMachine>::Status, <M as StateMachine>::Event>;

/// What a call did: the machine's transition and the gateway's answer (refund transaction
/// id, dates, balances), both kept.
///
/// It reads as its transition (`applied.to`, `applied.event`), and the answer is in
/// `applied.response`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied<R, T> {
    /// How the state moved.
    pub transition: T,
    /// What the gateway answered.
    pub response: R,
}

impl<R, T> std::ops::Deref for Applied<R, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.transition
    }
}
