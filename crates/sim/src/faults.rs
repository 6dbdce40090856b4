//! Scripted faults: what the next matching requests meet instead of (or besides) the
//! gateway's normal answer.

use std::collections::{BTreeMap, VecDeque};

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

/// The most faults queued at once (each may cover many requests with its `count`).
pub const MAX_FAULTS: usize = 1_000;

/// The faults waiting for their requests, grouped by the path fragment they match, each
/// group in the order its faults were scripted. A request checks each distinct fragment
/// once (and nothing at all when no fault is queued), never every queued fault.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Fragment → (order scripted, fault), oldest first.
    by_fragment: BTreeMap<String, VecDeque<(u64, Fault)>>,
    queued: usize,
    scripted: u64,
}

impl Faults {
    /// Queues a fault; `false` (nothing queued) when [`MAX_FAULTS`] are queued already. A
    /// fault for no request (`count` 0) is accepted and forgotten.
    pub fn add(&mut self, fault: Fault) -> bool {
        if self.queued >= MAX_FAULTS {
            return false;
        }
        if fault.count > 0 {
            self.scripted += 1;
            self.queued += 1;
            self.by_fragment
                .entry(fault.path_contains.clone())
                .or_default()
                .push_back((self.scripted, fault));
        }
        true
    }

    /// How many more faults can be queued.
    pub fn room(&self) -> usize {
        MAX_FAULTS.saturating_sub(self.queued)
    }

    /// Drops every fault not used yet.
    pub fn clear(&mut self) {
        self.by_fragment.clear();
        self.queued = 0;
    }

    /// The fault the next request on `path` meets, if any: the earliest scripted among
    /// those whose fragment the path contains. Each use counts down.
    pub fn take(&mut self, path: &str) -> Option<FaultKind> {
        let fragment = self
            .by_fragment
            .iter()
            .filter(|(fragment, _)| path.contains(fragment.as_str()))
            .filter_map(|(fragment, group)| group.front().map(|(order, _)| (*order, fragment)))
            .min()
            .map(|(_, fragment)| fragment.clone())?;
        let group = self.by_fragment.get_mut(&fragment)?;
        let (_, fault) = group.front_mut()?;
        fault.count = fault.count.saturating_sub(1);
        let kind = fault.kind.clone();
        if fault.count == 0 {
            group.pop_front();
            self.queued = self.queued.saturating_sub(1);
            if group.is_empty() {
                self.by_fragment.remove(&fragment);
            }
        }
        Some(kind)
    }
}
