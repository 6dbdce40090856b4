//! Where requests go and with which credentials.
//!
//! Keys are never printed: [`ApiKey`] and [`SecretKey`] have a redacted `Debug`, no
//! `Display` and no `PartialEq` (so they cannot be compared in non-constant time by
//! accident). A `live_` key is refused with the test host and a `test_` key with the live
//! host, before any request exists; a `live_` key never leaves for a host that is not
//! Eximbay's live host unless the caller opts in by name
//! ([`Environment::allow_live_key_to_custom_host`]).

use std::fmt;

/// Test v1 REST host.
pub const TEST_V1_BASE_URL: &str = "https://api-test.eximbay.com";
/// Live v1 REST host.
pub const LIVE_V1_BASE_URL: &str = "https://api.eximbay.com";
/// Test legacy server-to-server host.
pub const TEST_LEGACY_BASE_URL: &str = "https://secureapi.test.eximbay.com";
/// Live legacy server-to-server host.
pub const LIVE_LEGACY_BASE_URL: &str = "https://secureapi.eximbay.com";
/// Path of the legacy server-to-server endpoint on the legacy host.
pub const DIRECT_PROCESSOR_PATH: &str = "/Gateway/DirectProcessor.krp";

/// Why a configuration was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The MID is not 10 ASCII letters and digits.
    #[error("MID must be 10 ASCII letters and digits")]
    InvalidMid,
    /// The API key is not `test_` or `live_` followed by 20 hex digits.
    #[error("API key must be `test_` or `live_` followed by 20 hex digits")]
    InvalidApiKey,
    /// The secret key is empty or not printable ASCII.
    #[error("secret key must be non-empty printable ASCII")]
    InvalidSecretKey,
    /// A live key with the test host or a test key with the live host.
    #[error("a {key} API key cannot be used with the {environment} environment")]
    KeyEnvironmentMismatch {
        /// `test` or `live`.
        key: &'static str,
        /// `test` or `live`.
        environment: &'static str,
    },
    /// A live key with a custom host, without the explicit opt-in.
    #[error(
        "a live API key is only sent to Eximbay's live host; for a custom host (a proxy of your own) \
         opt in with Environment::allow_live_key_to_custom_host"
    )]
    LiveKeyToCustomHost,
    /// A custom base URL is not an absolute http(s) URL without path, query or fragment.
    #[error("base URL {0:?} must be an absolute http(s) URL such as https://host:port")]
    InvalidBaseUrl(String),
}

/// Which gateway to talk to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Environment {
    /// The gateway's test environment (`test_` keys).
    Test,
    /// The live gateway (`live_` keys).
    Live,
    /// Any other host pair, such as the local sandbox. A `test_` key is accepted; a `live_`
    /// key only with `allow_live_key_to_custom_host`.
    Custom {
        /// Base URL of the v1 REST API, e.g. `http://127.0.0.1:8080`.
        v1_base_url: String,
        /// Base URL of the legacy host serving `/Gateway/DirectProcessor.krp`.
        legacy_base_url: String,
        /// Whether a `live_` key may be sent to these hosts (a proxy of your own in front
        /// of the live gateway). Off unless set by name.
        allow_live_key_to_custom_host: bool,
    },
}

impl Environment {
    /// A custom environment with one host serving both APIs.
    pub fn custom(base_url: &str) -> Result<Self, ConfigError> {
        let base = normalise_base_url(base_url)?;
        Ok(Environment::Custom {
            v1_base_url: base.clone(),
            legacy_base_url: base,
            allow_live_key_to_custom_host: false,
        })
    }

    /// Lets a `live_` key be sent to this custom environment's hosts — only for a host you
    /// run in front of Eximbay's live gateway. Without it, a live key with a custom URL is
    /// refused before anything is built. No effect on [`Environment::Test`] /
    /// [`Environment::Live`].
    pub fn allow_live_key_to_custom_host(self) -> Self {
        match self {
            Environment::Custom {
                v1_base_url,
                legacy_base_url,
                ..
            } => Environment::Custom {
                v1_base_url,
                legacy_base_url,
                allow_live_key_to_custom_host: true,
            },
            other => other,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Environment::Test => "test",
            Environment::Live => "live",
            Environment::Custom { .. } => "custom",
        }
    }
}

fn normalise_base_url(url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim_end_matches('/');
    let bad = || ConfigError::InvalidBaseUrl(crate::money::truncate_for_error(url));
    let uri: http::Uri = trimmed.parse().map_err(|_| bad())?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let path_ok = matches!(uri.path(), "" | "/");
    if !scheme_ok || uri.authority().is_none() || !path_ok || uri.query().is_some() {
        return Err(bad());
    }
    Ok(trimmed.to_owned())
}

/// The merchant id the gateway assigned (10 characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mid(String);

impl Mid {
    /// Checks and wraps a MID.
    pub fn new(mid: &str) -> Result<Self, ConfigError> {
        if mid.len() == 10 && mid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Mid(mid.to_owned()))
        } else {
            Err(ConfigError::InvalidMid)
        }
    }

    /// The MID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Mid {
    type Error = ConfigError;
    fn try_from(mid: String) -> Result<Self, Self::Error> {
        Mid::new(&mid)
    }
}

impl From<Mid> for String {
    fn from(mid: Mid) -> Self {
        mid.0
    }
}

impl fmt::Display for Mid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a key belongs to the test or the live gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyMode {
    /// `test_` key.
    Test,
    /// `live_` key.
    Live,
}

/// The v1 API key (`test_…` / `live_…`), sent as HTTP Basic user name.
#[derive(Clone)]
pub struct ApiKey {
    key: String,
    mode: KeyMode,
}

impl ApiKey {
    /// Checks and wraps an API key: `test_` or `live_` followed by 20 hex digits.
    pub fn new(key: &str) -> Result<Self, ConfigError> {
        let (mode, rest) = if let Some(rest) = key.strip_prefix("test_") {
            (KeyMode::Test, rest)
        } else if let Some(rest) = key.strip_prefix("live_") {
            (KeyMode::Live, rest)
        } else {
            return Err(ConfigError::InvalidApiKey);
        };
        if rest.len() != 20 || !rest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ConfigError::InvalidApiKey);
        }
        Ok(ApiKey {
            key: key.to_owned(),
            mode,
        })
    }

    /// Test or live.
    pub fn mode(&self) -> KeyMode {
        self.mode
    }

    pub(crate) fn expose(&self) -> &str {
        &self.key
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({:?}, [redacted])", self.mode)
    }
}

/// The legacy secret key used for fgkey signatures.
#[derive(Clone)]
pub struct SecretKey(String);

impl SecretKey {
    /// Checks and wraps a secret key (non-empty printable ASCII).
    pub fn new(key: &str) -> Result<Self, ConfigError> {
        if !key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(SecretKey(key.to_owned()))
        } else {
            Err(ConfigError::InvalidSecretKey)
        }
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

/// `Basic base64("<api_key>:")`: the key is the user name and the password is empty.
fn basic_authorization(key: &ApiKey) -> Result<http::HeaderValue, ConfigError> {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{}:", key.expose()));
    let mut value = http::HeaderValue::from_str(&format!("Basic {encoded}"))
        .map_err(|_| ConfigError::InvalidApiKey)?;
    // `Debug` then prints "Sensitive", and HTTP/2 never indexes it.
    value.set_sensitive(true);
    Ok(value)
}

/// How legacy DirectProcessor calls (`RC_TERMINATE`, `RC_ADJUST`) are sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LegacySigning {
    /// The integration guide's form (Eximbay's recurring-payment guide): `mid`, `txntype`, the call's own fields and
    /// `param1..3`, no signature.
    #[default]
    Unsigned,
    /// Adds `ver=230`, `charset=UTF-8` and an `fgkey` over all sent fields, as every other
    /// DirectProcessor call in public integrations does. Needs the secret key. Turn it on if
    /// the gateway answers the integration guide's form with an fgkey error.
    Fgkey,
}

/// Everything a request needs besides the operation itself.
#[derive(Clone, Debug)]
pub struct Config {
    environment: Environment,
    v1_base_url: String,
    legacy_base_url: String,
    mid: Mid,
    api_key: ApiKey,
    /// `Basic base64("<api_key>:")`, computed once and marked sensitive.
    authorization: http::HeaderValue,
    secret_key: Option<SecretKey>,
    legacy_signing: LegacySigning,
}

impl Config {
    /// A configuration for one merchant. Refuses a `live_` key with [`Environment::Test`] and
    /// a `test_` key with [`Environment::Live`].
    pub fn new(environment: Environment, mid: Mid, api_key: ApiKey) -> Result<Self, ConfigError> {
        let (v1_base_url, legacy_base_url) = match &environment {
            Environment::Test => (TEST_V1_BASE_URL.to_owned(), TEST_LEGACY_BASE_URL.to_owned()),
            Environment::Live => (LIVE_V1_BASE_URL.to_owned(), LIVE_LEGACY_BASE_URL.to_owned()),
            Environment::Custom {
                v1_base_url,
                legacy_base_url,
                ..
            } => (
                normalise_base_url(v1_base_url)?,
                normalise_base_url(legacy_base_url)?,
            ),
        };
        let mismatch = match (&environment, api_key.mode()) {
            (Environment::Test, KeyMode::Live) => Some("live"),
            (Environment::Live, KeyMode::Test) => Some("test"),
            _ => None,
        };
        if let Some(key) = mismatch {
            return Err(ConfigError::KeyEnvironmentMismatch {
                key,
                environment: environment.name(),
            });
        }
        if let (
            Environment::Custom {
                allow_live_key_to_custom_host: false,
                ..
            },
            KeyMode::Live,
        ) = (&environment, api_key.mode())
        {
            return Err(ConfigError::LiveKeyToCustomHost);
        }
        let authorization = basic_authorization(&api_key)?;
        Ok(Config {
            environment,
            v1_base_url,
            legacy_base_url,
            mid,
            api_key,
            authorization,
            secret_key: None,
            legacy_signing: LegacySigning::Unsigned,
        })
    }

    /// Chooses how legacy DirectProcessor calls are sent ([`LegacySigning`]; the integration guide's
    /// unsigned form by default).
    pub fn with_legacy_signing(mut self, signing: LegacySigning) -> Self {
        self.legacy_signing = signing;
        self
    }

    /// How legacy DirectProcessor calls are sent.
    pub fn legacy_signing(&self) -> LegacySigning {
        self.legacy_signing
    }

    /// Adds the legacy secret key (needed to sign and verify fgkeys).
    pub fn with_secret_key(mut self, secret_key: SecretKey) -> Self {
        self.secret_key = Some(secret_key);
        self
    }

    /// The environment.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The merchant id.
    pub fn mid(&self) -> &Mid {
        &self.mid
    }

    /// Base URL of the v1 REST API, without trailing slash.
    pub fn v1_base_url(&self) -> &str {
        &self.v1_base_url
    }

    /// Base URL of the legacy host (DirectProcessor, the payment window), without trailing
    /// slash.
    pub fn legacy_base_url(&self) -> &str {
        &self.legacy_base_url
    }

    /// Full URL of the legacy DirectProcessor endpoint.
    pub fn direct_processor_url(&self) -> String {
        format!("{}{}", self.legacy_base_url, DIRECT_PROCESSOR_PATH)
    }

    /// The API key.
    pub fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// The `Authorization` header of v1 requests (marked sensitive: `Debug` prints
    /// `Sensitive`).
    pub fn authorization(&self) -> &http::HeaderValue {
        &self.authorization
    }

    /// The legacy secret key, when configured.
    pub fn secret_key(&self) -> Option<&SecretKey> {
        self.secret_key.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "test_1849705C642C217E0B2D";

    #[test]
    fn keys_must_match_the_environment() {
        let mid = Mid::new("1849705C64").unwrap();
        let live = ApiKey::new("live_1849705C642C217E0B2D").unwrap();
        assert_eq!(
            Config::new(Environment::Test, mid.clone(), live.clone()).unwrap_err(),
            ConfigError::KeyEnvironmentMismatch {
                key: "live",
                environment: "test"
            }
        );
        let test = ApiKey::new(KEY).unwrap();
        assert!(Config::new(Environment::Live, mid.clone(), test.clone()).is_err());
        assert!(Config::new(Environment::Test, mid.clone(), test).is_ok());
        let sandbox = Environment::custom("http://127.0.0.1:8080/").unwrap();
        // A live key never leaves for a custom host unless asked for by name.
        assert_eq!(
            Config::new(sandbox.clone(), mid.clone(), live.clone()).unwrap_err(),
            ConfigError::LiveKeyToCustomHost
        );
        let test_key = ApiKey::new(KEY).unwrap();
        assert!(Config::new(sandbox.clone(), mid.clone(), test_key).is_ok());
        let cfg = Config::new(sandbox.allow_live_key_to_custom_host(), mid, live).unwrap();
        assert_eq!(cfg.v1_base_url(), "http://127.0.0.1:8080");
        assert_eq!(
            cfg.direct_processor_url(),
            "http://127.0.0.1:8080/Gateway/DirectProcessor.krp"
        );
    }

    #[test]
    fn malformed_credentials_are_refused() {
        assert_eq!(Mid::new("1849705C6").unwrap_err(), ConfigError::InvalidMid);
        assert!(ApiKey::new("test_1849705C642C217E0B2").is_err());
        assert!(ApiKey::new("prod_1849705C642C217E0B2D").is_err());
        assert!(ApiKey::new("test_1849705C642C217E0B2Z").is_err());
        assert!(SecretKey::new("").is_err());
        assert!(Environment::custom("ftp://x").is_err());
        assert!(Environment::custom("http://x/path").is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let key = ApiKey::new(KEY).unwrap();
        let secret = SecretKey::new("289F40E6640124B2628640168C3C5464").unwrap();
        let printed = format!("{key:?} {secret:?}");
        assert!(!printed.contains("1849705C642C217E0B2D"));
        assert!(!printed.contains("289F40E6"));
    }
}
