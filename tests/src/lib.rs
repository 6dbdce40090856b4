//! Shared helpers for the eximbay-rs test suites.
