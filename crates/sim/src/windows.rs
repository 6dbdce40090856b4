//! Payment windows the buyer has open: what each one will create when approved, and the
//! bodies `ready` signed (the SDK's `request_pay` must repeat one of them exactly).

use std::collections::{BTreeMap, VecDeque};

use serde_json::Value;

use crate::commands::NewPayment;

/// Which integration opened the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// The legacy form, POSTed to `BasicProcessor.krp`.
    Legacy,
    /// The v1 SDK: `ready`, then `EXIMBAY.request_pay`.
    V1,
}

/// One line shown in the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowLine {
    /// What it is.
    pub name: String,
    /// How many.
    pub quantity: u32,
    /// The price of one, as sent.
    pub unit_price: String,
}

/// An open payment window.
#[derive(Clone, Debug)]
pub struct WindowSession {
    /// Which integration opened it.
    pub flow: Flow,
    /// The shop's name.
    pub shop: String,
    /// The lines shown (items, then surcharges).
    pub lines: Vec<WindowLine>,
    /// Where the browser goes back.
    pub return_url: String,
    /// What approving creates.
    pub payment: NewPayment,
}

/// The most windows open at once, and the most `ready` bodies remembered: beyond, the
/// oldest is forgotten (a buyer does not leave ten thousand windows open).
pub const WINDOWS_MAX: usize = 10_000;

/// Open windows by id, and the bodies `ready` signed, by the fgkey it returned.
#[derive(Clone, Debug, Default)]
pub struct Windows {
    sessions: BTreeMap<String, WindowSession>,
    readies: BTreeMap<String, Value>,
    /// The fgkeys of `readies`, oldest first.
    ready_order: VecDeque<String>,
    opened: u64,
}

impl Windows {
    /// Opens a window; its id names it in the page's buttons.
    pub fn open(&mut self, session: WindowSession) -> String {
        self.opened += 1;
        let id = format!("W{:08}", self.opened);
        self.sessions.insert(id.clone(), session);
        // Ids grow with age, so the first is the oldest.
        while self.sessions.len() > WINDOWS_MAX {
            self.sessions.pop_first();
        }
        id
    }

    /// An open window.
    pub fn get(&self, id: &str) -> Option<&WindowSession> {
        self.sessions.get(id)
    }

    /// Closes a window (a window is finished once: approved, declined or cancelled).
    pub fn close(&mut self, id: &str) -> Option<WindowSession> {
        self.sessions.remove(id)
    }

    /// Remembers the body `ready` signed with `fgkey`.
    pub fn remember_ready(&mut self, fgkey: String, body: Value) {
        if self.readies.insert(fgkey.clone(), body).is_none() {
            self.ready_order.push_back(fgkey);
        }
        while self.readies.len() > WINDOWS_MAX {
            let Some(oldest) = self.ready_order.pop_front() else {
                break;
            };
            self.readies.remove(&oldest);
        }
    }

    /// The body `ready` signed with `fgkey`.
    pub fn ready_body(&self, fgkey: &str) -> Option<&Value> {
        self.readies.get(fgkey)
    }
}
