//! Client facades over any [`SyncHttpClient`](crate::SyncHttpClient) / [`AsyncHttpClient`](crate::AsyncHttpClient): one method per
//! command that checks the state, sends, and absorbs the result.
//!
//! ```text
//! client.capture(&mut payment)?                       -> Applied { transition, response: Captured }
//! client.refund_partial(&mut payment, amount, key, reason)?   -> Applied<Refunded, PaymentTransition>
//! client.reconcile(&mut payment)?                     (after ClientError::Ambiguous)
//! ```
//!
//! Every method is the machine's two halves ([`crate::machine`]) with a send between them —
//! `call(machine, ask)`: the machine produces the operation the [`crate::ask`] value calls
//! for (a refusal is [`ClientError::Machine`] with `sent: false`, and nothing is sent), the
//! drive loop sends it, and [`absorb`] hands how the call finished to the machine. Each returns the transition *and* the gateway's answer
//! ([`Applied`]). After an `Err` the machine is already in its new state — a decline changed
//! nothing, an unknown outcome put the command in doubt — so persist it either way.
//!
//! [`BlockingClient`] and [`AsyncClient`] are the same methods written twice (the async ones
//! `.await` the send), each named method one `call`. The adapters
//! (`eximbay-ureq`, `eximbay-async`) wrap them with their HTTP client, sleep and jitter seed;
//! any other client plugs in the same way. Sleep and the jitter seed are injected: the core
//! reads no clock and draws no random number.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::client_error::{ClientError, Refusal};
use crate::config::Config;
use crate::drive::RetryPolicy;
use crate::machine::{Applied, Ask, Finished, StateMachine, TransitionOf};
use crate::ops::Operation;
use crate::retry::Backoff;

mod blocking;
#[cfg(test)]
mod machine_tests;
mod nonblocking;
#[cfg(test)]
mod tests;

pub use blocking::BlockingClient;
pub use nonblocking::AsyncClient;

/// What both facades share: configuration, backoff, and a per-call jitter seed.
#[derive(Debug)]
struct Settings {
    cfg: Config,
    backoff: Backoff,
    seed: u64,
    calls: AtomicU64,
}

impl Settings {
    fn new(cfg: Config) -> Self {
        Settings {
            cfg,
            backoff: Backoff::default(),
            seed: 0,
            calls: AtomicU64::new(0),
        }
    }

    /// Each call gets its own jitter, derived from the seed and a call counter.
    fn policy(&self) -> RetryPolicy {
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        RetryPolicy {
            backoff: self.backoff,
            jitter_seed: self.seed ^ call.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        }
    }
}

/// The one mapper from a call's result to a machine: absorbs how the call of `command`
/// finished (its answer read with `read`) and keeps the gateway's answer.
///
/// Whatever the result, the machine absorbs it — an answer is applied, a decline changes
/// nothing, an unknown outcome puts a money-moving command in doubt, a rejected request or a
/// safe failure changes nothing — and then the call's error, if any, is handed back as it
/// was. Only when nothing was sent is the machine not touched. An answer the machine refuses
/// is [`ClientError::Machine`] with `sent: true` (the state is unchanged).
///
/// After an `Err`, the machine is already in its new state: persist it. In particular an
/// ambiguous outcome leaves a payment in `NeedsReconcile`, and only `reconcile` is allowed
/// until the gateway's record has been applied.
pub fn absorb<M, T>(
    machine: &mut M,
    command: M::Command,
    result: Result<T, ClientError>,
    read: impl FnOnce(T) -> M::Answer,
) -> Result<Applied<T, TransitionOf<M>>, ClientError>
where
    M: StateMachine,
    M::Refusal: Into<Refusal>,
    T: Clone,
{
    let (finished, result) = match result {
        Ok(response) => (Finished::Done(read(response.clone())), Ok(response)),
        Err(error) => match error.finished() {
            Some(finished) => (finished, Err(error)),
            None => return Err(error),
        },
    };
    let transition = machine
        .absorb(command, finished)
        .map_err(ClientError::misfit)?;
    result.map(|response| Applied {
        transition,
        response,
    })
}

/// What the operation `A` calls for on machine `M` answers with.
pub type Output<A, M> = <<A as Ask<M>>::Operation as Operation>::Output;
