//! Scripted faults: what the next matching requests meet instead of (or besides) the
//! gateway's normal answer.

use serde::{Deserialize, Serialize};

/// A scripted fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// HTTP 500 with a plain body; nothing applied.
    Http500,
    /// HTTP 502 with an HTML page (a proxy in front of the gateway); nothing applied.
    Html502,
    /// Apply, then answer after `ms` milliseconds.
    Delay {
        /// The delay.
        ms: u64,
    },
    /// Refuse with this `rescode` (in a JSON body with HTTP `status`, 200 unless given);
    /// nothing applied.
    Decline {
        /// The result code.
        rescode: String,
        /// The HTTP status of the answer (`503` with `ES99`, say).
        #[serde(default)]
        status: Option<u16>,
    },
    /// Apply, then drop the connection without answering (the ambiguous case).
    ApplyThenDrop,
}

/// A fault for the next `count` requests whose path contains `path_contains`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Substring of the request path (`/capture`, `/cancel`, `DirectProcessor`, …).
    #[serde(default)]
    pub path_contains: String,
    /// How many requests it applies to.
    #[serde(default = "one")]
    pub count: u32,
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
}

fn one() -> u32 {
    1
}

/// The faults waiting for their requests, in the order they were scripted.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    queued: Vec<Fault>,
}

impl Faults {
    /// Queues a fault.
    pub fn add(&mut self, fault: Fault) {
        self.queued.push(fault);
    }

    /// Drops every fault not used yet.
    pub fn clear(&mut self) {
        self.queued.clear();
    }

    /// The fault the next request on `path` meets, if any; each use counts down.
    pub fn take(&mut self, path: &str) -> Option<FaultKind> {
        let index = self
            .queued
            .iter()
            .position(|f| f.count > 0 && path.contains(&f.path_contains))?;
        let fault = self.queued.get_mut(index)?;
        fault.count -= 1;
        let kind = fault.kind.clone();
        self.queued.retain(|f| f.count > 0);
        Some(kind)
    }
}
