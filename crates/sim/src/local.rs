//! A sandbox in one line, for examples and tests: started on a free loopback port with the
//! public test MID and keys, a payment made as if a buyer approved it in the window, and the
//! core's configuration that points at it.

use eximbay_core::{ApiKey, Config, ConfigError, Environment, Mid};

use crate::{NewPayment, RunningSandbox, SandboxConfig, ServerOptions};

impl RunningSandbox {
    /// A sandbox on a free port of 127.0.0.1, with the defaults ([`SandboxConfig::default`]:
    /// Eximbay's public test MID and keys) — what an example or a test needs.
    pub fn local() -> std::io::Result<RunningSandbox> {
        let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        RunningSandbox::start(SandboxConfig::default(), loopback, ServerOptions::default())
    }

    /// Makes an authorized card payment (`AUTHORIZE`, to be captured), as if a buyer had
    /// approved it in the payment window, and returns its transaction id. An amount the
    /// currency cannot carry is refused with the sandbox's message.
    pub fn authorized_payment(
        &self,
        order_id: &str,
        currency: &str,
        amount: &str,
    ) -> Result<String, String> {
        let new = NewPayment::new(order_id, currency, amount).with_transaction_type("AUTHORIZE");
        let (payment, _, _) = self.sandbox().create_payment(new)?;
        Ok(payment.transaction_id)
    }

    /// The core's configuration for this sandbox: its URL, MID and API key.
    pub fn client_config(&self) -> Result<Config, ConfigError> {
        let sandbox = self.sandbox();
        let cfg = sandbox.config();
        Config::new(
            Environment::custom(&self.base_url())?,
            Mid::new(&cfg.mid)?,
            ApiKey::new(&cfg.api_key)?,
        )
    }
}
