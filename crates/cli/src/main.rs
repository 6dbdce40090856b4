//! `eximbay`: try and operate Eximbay payments from the command line.
//!
//! Each operation prints one JSON object on stdout: the parsed response (normalised field
//! names) and the resulting state. Exit codes ([`failure`]): 0 success, 1 notification did
//! not verify, 2 bad usage or invalid input (nothing was sent), 3 the gateway declined
//! (rescode in the JSON), 4 outcome unknown (reconcile with `retrieve`), 5 transport failure
//! before anything was sent (safe to retry), 6 the gateway rejected the request (`EC*`), 7
//! `retrieve` answered `NONE`: the gateway has no record of it now.
//! Errors go to stderr and never contain keys.
#![forbid(unsafe_code)]

/// Prints a line on stdout. When stdout is gone (`eximbay demo | head`), stop quietly:
/// whatever was done is done, and a panic would say otherwise.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::emit(format_args!($($arg)*))
    };
}

mod args;
mod commands;
mod demo;
mod failure;
mod input;
mod sim_controls;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, NotificationCommand};
use commands::{RefundRequest, RetrieveRequest};
use failure::{Failure, exit};

fn emit(line: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        std::process::exit(0);
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { exit::USAGE } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if let Some(stdout) = failure.stdout {
                say!("{stdout}");
            }
            eprintln!("eximbay: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let global = &cli.global;
    match cli.command {
        Command::Capture { payment } => commands::capture(global, &payment),
        Command::Confirm {
            transaction_type,
            payer_auth_id,
            order_id,
            currency,
            amount,
            lang,
        } => commands::confirm(
            global,
            &commands::ConfirmRequest {
                transaction_type: &transaction_type,
                payer_auth_id: &payer_auth_id,
                order_id: &order_id,
                currency: &currency,
                amount: &amount,
                lang: &lang,
            },
        ),
        Command::Refund {
            payment,
            balance,
            full,
            partial,
            refund_key,
            refund_id,
            reason,
        } => commands::refund(
            global,
            &payment,
            RefundRequest {
                balance,
                full,
                partial,
                refund_key,
                refund_id,
                reason,
            },
        ),
        Command::Retrieve {
            transaction_id,
            order_id,
            currency,
            amount,
            lang,
        } => commands::retrieve(
            global,
            RetrieveRequest {
                transaction_id,
                order_id,
                currency,
                amount,
                lang,
            },
        ),
        Command::Recurring { command } => commands::recurring(global, command),
        Command::Token { command } => commands::token(global, command),
        Command::Notification {
            command: NotificationCommand::Verify { strict },
        } => commands::verify_notification(strict),
        Command::Fgkey => commands::fgkey_of_stdin(),
        Command::Sim {
            command: Some(command),
            ..
        } => sim_controls::run(global, command),
        Command::Sim {
            addr,
            command: None,
        } => commands::sim(global, addr),
        Command::Demo { serve } => {
            demo::run(serve).map_err(|e| Failure::usage(format!("demo failed: {e}")))
        }
    }
}
