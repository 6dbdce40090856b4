//! The command line, as clap reads it. Values stay text here; `input` turns them into typed
//! values (and refuses what is invalid, with exit code 2, before anything is sent).

use std::net::SocketAddr;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "eximbay",
    version,
    about = "Eximbay payments from the command line: capture, refund, retrieve, recurring, notifications, and a local sandbox",
    after_help = "Exit codes: 0 success; 1 notification did not verify; 2 bad usage or invalid input (nothing sent); \
3 declined (card, issuer, fraud screening); 4 outcome unknown (reconcile with `eximbay retrieve`); \
5 failed before anything was sent (safe to retry); 6 the gateway rejected the request (EC*: fix the call or the configuration); \
7 `retrieve` answered NONE: the gateway has no record of it now (not proof that nothing was made)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Env {
    Test,
    Live,
}

/// The options every command shares. Under their own heading, after each command's own
/// options, so `eximbay capture --help` shows what a capture needs first.
#[derive(Args)]
#[command(next_help_heading = "Gateway options (shared by every command; see `eximbay --help`)")]
pub struct Global {
    /// Gateway environment (ignored when --base-url is given).
    #[arg(long, global = true, value_enum, default_value = "test")]
    pub env: Env,
    /// Base URL of the v1 REST API (e.g. a sandbox: http://127.0.0.1:8080).
    #[arg(long, global = true)]
    pub base_url: Option<String>,
    /// Base URL of the legacy DirectProcessor host (defaults to --base-url).
    #[arg(long, global = true)]
    pub legacy_base_url: Option<String>,
    /// Merchant id.
    #[arg(long, global = true, env = "EXIMBAY_MID")]
    pub mid: Option<String>,
    /// Sign the legacy recurring calls (RC_TERMINATE / RC_ADJUST) with ver=230,
    /// charset=UTF-8 and an fgkey (needs EXIMBAY_SECRET_KEY). Eximbay's integration guide
    /// sends them unsigned; turn this on if the gateway answers them with an fgkey error.
    #[arg(long, global = true)]
    pub sign_legacy: bool,
    /// Send a live_ API key to a --base-url that is not Eximbay's live host (a proxy of your
    /// own in front of it). Without it a live key is only ever sent to the live host.
    #[arg(long, global = true)]
    pub allow_live_key_to_custom_host: bool,
    /// Longest time for one call to the gateway, e.g. 30s, 2.5s or 800ms (default 30s).
    #[arg(long, global = true)]
    pub timeout: Option<String>,
    /// Print each request line, its HTTP status, latency and rescode on stderr (never bodies
    /// or keys).
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

#[derive(Subcommand)]
pub enum Command {
    /// Capture an authorized payment.
    Capture {
        #[command(flatten)]
        payment: PaymentArgs,
    },
    /// Confirm a payment after payer authentication (3-D Secure): PAYMENT_PA (captured at
    /// once) or AUTHORIZE_PA (captured later), for the authentication's amount and currency.
    ///
    /// On exit 4 (outcome unknown) do not confirm again: `eximbay retrieve --order-id`. A NONE
    /// (exit 7) right after is not proof that nothing was made: the library holds the confirm
    /// in doubt until 15 minutes have passed and 3 retrieves answered NONE (its grace policy,
    /// docs/notifications.md), and even that cannot rule out a gateway that lags longer.
    Confirm {
        /// PAYMENT_PA or AUTHORIZE_PA.
        #[arg(long)]
        transaction_type: String,
        /// The payer_auth_id the PAYER_AUTH window returned.
        #[arg(long)]
        payer_auth_id: String,
        /// The order the authentication was made for.
        #[arg(long)]
        order_id: String,
        /// Currency of the authentication.
        #[arg(long)]
        currency: String,
        /// Amount of the authentication.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Language of the gateway's messages.
        #[arg(long, default_value = "EN")]
        lang: String,
    },
    /// Refund a payment, fully or in part.
    #[command(group(ArgGroup::new("refund_name").required(true).args(["refund_key", "refund_id"])))]
    Refund {
        #[command(flatten)]
        payment: PaymentArgs,
        /// What is refundable before this refund (the gateway checks it).
        #[arg(long, allow_hyphen_values = true)]
        balance: String,
        /// Refund everything still refundable: F when nothing was refunded yet (balance =
        /// amount), otherwise P for the balance, as the library's refund_full does.
        #[arg(long, conflicts_with = "partial", required_unless_present = "partial")]
        full: bool,
        /// Refund this amount.
        #[arg(long, allow_hyphen_values = true)]
        partial: Option<String>,
        /// Names this refund: the refund_id is derived from it and the transaction id, exactly
        /// as the library derives it, so retrying with the same key resends the same id.
        #[arg(long)]
        refund_key: Option<String>,
        /// The raw refund_id to send, as is (overrides the derivation; reuse it only to retry
        /// the same refund).
        #[arg(long)]
        refund_id: Option<String>,
        /// Reason shown to people.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Retrieve a payment's state from the gateway.
    Retrieve {
        /// Look up by transaction id.
        #[arg(long, required_unless_present = "order_id")]
        transaction_id: Option<String>,
        /// Look up by order id (with --transaction-id, sent alongside).
        #[arg(long)]
        order_id: Option<String>,
        /// Currency of the payment. Required: the gateway's retrieve request carries the
        /// payment's currency and amount, and the state is read from the refundable balance
        /// against that amount.
        #[arg(long)]
        currency: String,
        /// Amount of the payment (see --currency for why it is needed).
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Language of the gateway's messages.
        #[arg(long, default_value = "EN")]
        lang: String,
    },
    /// Recurring payments (legacy API).
    Recurring {
        #[command(subcommand)]
        command: RecurringCommand,
    },
    /// Stored cards (token billing): rebill, delete, show.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Notifications (status_url, return_url, recurringURL bodies).
    Notification {
        #[command(subcommand)]
        command: NotificationCommand,
    },
    /// Print the fgkey of a form body read from stdin (secret from EXIMBAY_SECRET_KEY).
    Fgkey,
    /// Run the local sandbox (MID from --mid / EXIMBAY_MID, keys from EXIMBAY_API_KEY and
    /// EXIMBAY_SECRET_KEY; the public test MID, key and secret otherwise). Logs one line per
    /// request on stderr.
    ///
    /// With a subcommand, drives a running sandbox instead (at --base-url, default
    /// http://127.0.0.1:8080): make payments, settle or expire cash payments, move the clock,
    /// script faults, set its choices, and list what it holds — each printing the ids the
    /// next command needs.
    Sim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        #[command(subcommand)]
        command: Option<SimCommand>,
    },
    /// Walk a payment and a recurring payment through their lives against an embedded sandbox.
    Demo {
        /// Afterwards keep the sandbox up (until Ctrl-C) and print the URL of a checkout page
        /// to go through the payment window by hand in your own browser.
        #[arg(long)]
        serve: bool,
    },
}

#[derive(Args)]
pub struct PaymentArgs {
    /// The payment's transaction id (24 characters).
    #[arg(long)]
    pub transaction_id: String,
    /// The merchant's order id.
    #[arg(long)]
    pub order_id: String,
    /// Currency (ISO 4217, any case: usd, KRW).
    #[arg(long)]
    pub currency: String,
    /// The payment's amount (KRW, JPY, VND: whole; 10000.00 is taken as 10000).
    #[arg(long, allow_hyphen_values = true)]
    pub amount: String,
    /// Language of the gateway's messages.
    #[arg(long, default_value = "EN")]
    pub lang: String,
}

#[derive(Subcommand)]
pub enum RecurringCommand {
    /// Terminate a recurring payment (RC_TERMINATE).
    Terminate {
        /// The registration.
        #[arg(long)]
        recurring_id: String,
        #[command(flatten)]
        params: Params,
    },
    /// Change a recurring payment's amount (RC_ADJUST).
    Adjust {
        /// The registration.
        #[arg(long)]
        recurring_id: String,
        /// The new monthly amount.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// The registration's currency (checks whole amounts for KRW, JPY, VND; not sent).
        #[arg(long)]
        currency: Option<String>,
        #[command(flatten)]
        params: Params,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Charge a stored card again: a new, captured payment under a new order id.
    ///
    /// On exit 4 (outcome unknown) do not rebill again: `eximbay retrieve --order-id`. A NONE
    /// (exit 7) right after is not proof that nothing was charged: the library holds the
    /// rebill in doubt until 15 minutes have passed and 3 retrieves answered NONE (its grace
    /// policy, docs/notifications.md), and even that cannot rule out a gateway that lags
    /// longer.
    Rebill {
        /// The stored card.
        #[arg(long)]
        token_id: String,
        /// A new order id for this charge.
        #[arg(long)]
        order_id: String,
        /// Currency.
        #[arg(long)]
        currency: String,
        /// Amount.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// A product line (name; quantity 1 at the whole amount).
        #[arg(long)]
        product: Option<String>,
    },
    /// Delete a stored card (irreversible).
    Delete {
        /// The stored card.
        #[arg(long)]
        token_id: String,
    },
    /// Show what the gateway says of a stored card.
    Show {
        /// The stored card.
        #[arg(long)]
        token_id: String,
    },
}

#[derive(Subcommand)]
pub enum NotificationCommand {
    /// Verify the fgkey of a notification body read from stdin (secret from EXIMBAY_SECRET_KEY)
    /// and print what it means.
    ///
    /// `meaning` is one of money_received (paid: fulfil unless `holds_order`), authorized
    /// (capture it; nothing charged yet), payer_authenticated (3-D Secure only: confirm it;
    /// nothing charged), registered (cash: wait for status=Sale), voided, failed, unreadable.
    /// `paid` is true only for money_received.
    Verify {
        /// Also refuse (exit 1) a body with a field Eximbay does not document.
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Args)]
pub struct Params {
    /// Merchant data echoed back.
    #[arg(long)]
    pub param1: Option<String>,
    /// Merchant data echoed back.
    #[arg(long)]
    pub param2: Option<String>,
    /// Merchant data echoed back.
    #[arg(long)]
    pub param3: Option<String>,
}

/// What `eximbay sim …` asks of a running sandbox (its `/_sim/` controls).
#[derive(Subcommand)]
pub enum SimCommand {
    /// Make a payment as if a buyer completed the payment window: a card authorization
    /// (default), a captured sale, a cash payment (registered, paid later), a stored card, a
    /// recurring registration or a payer authentication. Prints its transaction_id (and
    /// token_id, recurring_id or payer_auth_id).
    Pay {
        /// The merchant's order id.
        #[arg(long)]
        order_id: String,
        /// Currency (ISO 4217).
        #[arg(long)]
        currency: String,
        /// Amount.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// AUTHORIZE (default for cards: capture later), PAYMENT (captured at once) or
        /// PAYER_AUTH (3-D Secure only: confirm it with `eximbay confirm`).
        #[arg(long = "type")]
        transaction_type: Option<String>,
        /// A cash / bank-transfer payment: Registered now, then `settle` or `expire` it.
        #[arg(long)]
        cash: bool,
        /// Store the card (token billing): prints a token_id for `eximbay token rebill`.
        #[arg(long)]
        store_card: bool,
        /// Where the signed status callback goes.
        #[arg(long)]
        status_url: Option<String>,
        /// Register a monthly recurring payment of this amount.
        #[arg(long, allow_hyphen_values = true, requires = "recurring_url")]
        recurring_amount: Option<String>,
        /// Where the recurring charge results go.
        #[arg(long, requires = "recurring_amount")]
        recurring_url: Option<String>,
        /// First charge, YYYYMMDD (default: a month from today, Korean time).
        #[arg(long, requires = "recurring_amount")]
        recurring_date: Option<String>,
    },
    /// The buyer of a registered cash payment paid: status=Sale.
    Settle {
        /// The registered payment.
        #[arg(long)]
        transaction_id: String,
    },
    /// A registered cash payment expired unpaid: status=Void.
    Expire {
        /// The registered payment.
        #[arg(long)]
        transaction_id: String,
    },
    /// Read the test clock, or move it forward (due recurring charges run).
    Clock {
        /// Days to move forward.
        #[arg(long, conflicts_with = "advance_seconds")]
        advance_days: Option<i64>,
        /// Seconds to move forward.
        #[arg(long)]
        advance_seconds: Option<i64>,
    },
    /// Script a fault for the next requests whose path contains --path-contains.
    Fault {
        /// Part of the request path: /capture, /cancel, /retrieve, DirectProcessor, …
        #[arg(long)]
        path_contains: String,
        /// http500, html502, delay, decline or apply_then_drop (applied, then no answer).
        #[arg(long)]
        kind: String,
        /// How many requests it applies to.
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// For decline: the rescode (HE01, EE99, …).
        #[arg(long)]
        rescode: Option<String>,
        /// For decline: the HTTP status (200 unless given).
        #[arg(long)]
        status: Option<u16>,
        /// For delay: milliseconds.
        #[arg(long)]
        ms: Option<u64>,
    },
    /// Make the next charges of a recurring registration fail.
    FailCharges {
        /// The registration.
        #[arg(long)]
        recurring_id: String,
        /// How many charges.
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// Their rescode.
        #[arg(long, default_value = "HE01")]
        rescode: String,
    },
    /// Show the sandbox's choices where the gateway is undocumented, or change some.
    Behaviour {
        /// A choice to change, as name=value (repeatable), e.g. echoed_amounts=currency_exponent.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
    },
    /// List payments: a page of the ledger, or one order's.
    Payments {
        /// Only this order's payments.
        #[arg(long)]
        order_id: Option<String>,
        /// The page after this transaction id.
        #[arg(long)]
        after: Option<String>,
        /// At most this many.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// List stored cards (token billing) with their token_id and state.
    Tokens,
    /// List payer authentications with their payer_auth_id and state.
    Authentications,
}
