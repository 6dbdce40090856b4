//! # eximbay-core
//!
//! A sans-IO protocol core for the [Eximbay](https://www.eximbay.com) payment gateway.
//!
//! It turns commands into plain [`http::Request<Vec<u8>>`] values, parses
//! [`http::Response`]s into typed results, and keeps payments and recurring payments in
//! explicit state machines. It opens no socket, starts no runtime and reads no clock: time
//! ([`Timestamp`]) and idempotency keys are parameters, so everything here is deterministic
//! and testable, and any HTTP client can carry the requests.
//!
//! ```
//! use eximbay_core::{ApiKey, Config, Environment, Mid, Operation, Payment, Lang};
//! use eximbay_core::{Amount, Currency, OrderId, TransactionId};
//!
//! let cfg = Config::new(
//!     Environment::Test,
//!     Mid::new("1849705C64")?,
//!     ApiKey::new("test_1849705C642C217E0B2D")?,
//! )?;
//! let payment = Payment::authorized(
//!     TransactionId::new("1849705C6420220922000016"),
//!     OrderId::new("20220902101716"),
//!     Currency::Usd,
//!     Amount::parse("1")?,
//!     Lang::En,
//! )?;
//! let capture = payment.capture()?;            // refused unless the payment is Authorized
//! let request = capture.to_http(&cfg)?;        // send it with any HTTP client
//! assert_eq!(request.uri(), "https://api-test.eximbay.com/v1/payments/1849705C6420220922000016/capture");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod ask;
pub mod authentication;
pub mod client;
pub mod client_error;
pub mod codes;
pub mod config;
pub mod drive;
pub mod error;
pub mod fgkey;
pub mod ids;
pub mod machine;
pub mod money;
pub mod not_found;
pub mod notification;
pub mod ops;
pub mod payment;
pub mod recurring;
pub mod registration;
pub mod retry;
pub mod time;
pub mod token;
pub mod transport;
pub mod window;

pub use authentication::{
    AuthenticationEvent, AuthenticationOutcome, AuthenticationRefusal, AuthenticationStatus,
    AuthenticationTransition, PayerAuthentication,
};
pub use client::{AsyncClient, BlockingClient};
pub use client_error::{ClientError, Refusal};
pub use codes::{
    ErrorCode, FraudDecision, Lang, NotificationStatus, PaymentMethod, RemoteStatus, ResultCode,
    TransactionType,
};
pub use config::{
    ApiKey, Config, ConfigError, Environment, KeyMode, LegacySigning, Mid, SecretKey,
};
pub use drive::{
    AsyncHttpClient, RetryPolicy, SyncHttpClient, TransportError, send, send_blocking,
};
pub use error::{BodyExcerpt, BuildError, GatewayError, ResponseError};
pub use ids::{OrderId, PayerAuthId, RecurringId, RefundId, TokenId, TransactionId};
pub use machine::{Applied, Ask, Finished, StateMachine, Transition, TransitionOf};
pub use money::{Amount, AmountError, Currency, GatewayAmount};
pub use not_found::{AwaitsNotFound, NotFoundDoubt, NotFoundGrace, NotFoundVerdict, NotFoundWatch};
pub use notification::{Notification, NotificationError};
pub use ops::Operation;
pub use payment::{
    Payment, PaymentCommand, PaymentEvent, PaymentNotice, PaymentOutcome, PaymentRefusal,
    PaymentStatus, PaymentTransition,
};
pub use recurring::{
    Recurring, RecurringEvent, RecurringOutcome, RecurringRefusal, RecurringStatus,
    RecurringTransition,
};
pub use retry::{Backoff, RetryClass, TransportFailure};
pub use time::{Date, Timestamp};
pub use token::{
    Token, TokenCommand, TokenEvent, TokenOutcome, TokenRefusal, TokenStatus, TokenTransition,
};
