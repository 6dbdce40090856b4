//! Who may use the back office: operators, sign-in, sessions, and the checks every
//! back-office form passes before anything is done.
//!
//! * **Operators** are created with `eximbay-merchant operator add NAME` (the password read
//!   from standard input) and stored with an argon2id hash ([`argon2`], a PHC string with its
//!   own salt), never the password.
//! * **Sessions**: signing in sets a random 256-bit token in a cookie (`HttpOnly`,
//!   `SameSite=Strict`, `Secure` when the public URL is https); the database keeps only the
//!   token's SHA-256, with the operator, an expiry and the session's CSRF token, so every
//!   instance on the database knows the session and a copy of the table signs nobody in.
//! * **Sign-in attempts** are limited: after too many failures for one operator name (or
//!   from one client address) within the window, further attempts are refused unchecked.
//! * **Every form** ([`check_form`]): the request's `Origin` (or, without one, `Referer`)
//!   must be the shop's public URL, and its `csrf` field must equal the session's token
//!   (compared in constant time). `SameSite=Strict` already keeps the cookie off cross-site
//!   requests; these two checks hold even where it does not.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ShopError;
use crate::shop::Shop;
use crate::store::{Store, StoreError};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "eximbay_session";

/// The shortest password an operator may have.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Why an operator could not be created.
#[derive(Debug)]
pub enum OperatorError {
    /// The name is empty, too long, or has characters other than letters, digits, `.-_@`.
    BadName,
    /// The password is shorter than [`MIN_PASSWORD_CHARS`] (or absurdly long).
    WeakPassword,
    /// Hashing failed (no randomness from the system).
    Hash(String),
    /// The database.
    Store(StoreError),
}

impl std::fmt::Display for OperatorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OperatorError::BadName => {
                f.write_str("an operator name is 1 to 64 letters, digits or . - _ @ (no spaces)")
            }
            OperatorError::WeakPassword => write!(
                f,
                "the password must be at least {MIN_PASSWORD_CHARS} characters (and under 1024)"
            ),
            OperatorError::Hash(e) => write!(f, "hashing the password: {e}"),
            OperatorError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for OperatorError {}

/// Creates the operator `name` with `password`, or gives an existing one a new password
/// (signing it out everywhere). Returns whether the operator is new.
pub async fn add_operator(
    store: &Store,
    name: &str,
    password: &str,
    at: i64,
) -> Result<bool, OperatorError> {
    if !valid_name(name) {
        return Err(OperatorError::BadName);
    }
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..1024).contains(&chars) {
        return Err(OperatorError::WeakPassword);
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| OperatorError::Hash(e.to_string()))??;
    store
        .put_operator(name, &hash, at)
        .await
        .map_err(OperatorError::Store)
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@'))
}

/// An argon2id hash (PHC string) of `password` with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, OperatorError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| OperatorError::Hash(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| OperatorError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| OperatorError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `hash` (an unreadable hash matches nothing).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to verify against when the operator does not exist, so that an unknown name takes
/// as long to refuse as a wrong password (the answer does not tell which names exist).
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("no operator has this password").unwrap_or_default())
}

/// 256 random bits, hex: session tokens, CSRF tokens, command keys, CSP nonces.
#[allow(
    clippy::panic,
    reason = "without the system's randomness no token is safe to mint"
)]
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The system's randomness is there on every platform the shop runs on; were it not, a
    // zero token would be predictable, so refuse to go on rather than mint one.
    if let Err(error) = getrandom::fill(&mut bytes) {
        panic!("no randomness from the operating system: {error}");
    }
    hex::encode(bytes)
}

/// What the database keeps of a session token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A signed-in operator: the extractor every back-office handler takes. Without a live
/// session a `GET` is sent to the sign-in page and anything else is refused (403).
#[derive(Clone)]
pub struct SignedIn {
    /// The operator's name.
    pub operator: String,
    /// The session's CSRF token (every form carries it).
    pub csrf: String,
    token_hash: String,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("operator", &self.operator)
            .finish_non_exhaustive()
    }
}

impl FromRequestParts<Arc<Shop>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        shop: &Arc<Shop>,
    ) -> Result<Self, Self::Rejection> {
        if let Some(token) = session_token(&parts.headers) {
            let hash = token_hash(&token);
            // Expired or not by the database's clock, the same on every instance.
            match shop.store.session(&hash).await {
                Ok(Some(session)) => {
                    return Ok(SignedIn {
                        operator: session.operator,
                        csrf: session.csrf,
                        token_hash: hash,
                    });
                }
                Ok(None) => {}
                Err(error) => return Err(ShopError::Unavailable(error).into_response()),
            }
        }
        if parts.method == Method::GET || parts.method == Method::HEAD {
            let next = parts.uri.path_and_query().map_or("/orders", |p| p.as_str());
            let to = format!("/sign-in?next={}", urlencode(next));
            return Err(Redirect::to(&to).into_response());
        }
        Err(ShopError::refused(
            StatusCode::FORBIDDEN,
            "Sign in first",
            "The back office is for signed-in operators. Nothing was changed.",
        )
        .into_response())
    }
}

/// The session token from the request's cookies.
fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|token| token.len() == 64)
}

/// The `Set-Cookie` value for a session token (`None`: the cookie that removes it).
fn session_cookie(shop: &Shop, token: Option<&str>) -> String {
    session_cookie_for(
        &shop.settings.public_url,
        token,
        shop.settings.limits.session_seconds,
    )
}

/// The session cookie for a shop at `public_url`: `HttpOnly`, `SameSite=Strict`, `Secure`
/// when the public URL is https (the app serves plain HTTP behind a TLS proxy).
fn session_cookie_for(public_url: &str, token: Option<&str>, max_age_seconds: i64) -> String {
    let secure = public_url
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
    let max_age = match token {
        Some(_) => cookie::time::Duration::seconds(max_age_seconds),
        None => cookie::time::Duration::ZERO,
    };
    cookie::Cookie::build((SESSION_COOKIE, token.unwrap_or_default().to_owned()))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(secure)
        .max_age(max_age)
        .build()
        .to_string()
}

/// The origin (`scheme://host[:port]`) of a URL, lowercased; `None` when it has none.
pub fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    match parsed.origin() {
        origin @ url::Origin::Tuple(..) => Some(origin.ascii_serialization().to_lowercase()),
        url::Origin::Opaque(_) => None,
    }
}

/// Whether a state-changing request comes from the shop's own pages: its `Origin` is the
/// public URL's (a browser sends it on every cross-origin POST and on same-origin ones
/// too), or, without an `Origin`, its `Referer` is on the public URL. With neither (a
/// client that is not a browser), the CSRF token alone decides. `Sec-Fetch-Site:
/// cross-site` is refused outright.
pub fn same_origin(shop: &Shop, headers: &HeaderMap) -> bool {
    let ours = origin_of(&shop.settings.public_url);
    let header_text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if header_text("sec-fetch-site") == Some("cross-site") {
        return false;
    }
    if let Some(origin) = header_text(header::ORIGIN.as_str()) {
        return ours.is_some() && Some(origin.to_lowercase()) == ours;
    }
    if let Some(referer) = header_text(header::REFERER.as_str()) {
        return ours.is_some() && origin_of(referer) == ours;
    }
    true
}

/// The checks every back-office form passes before anything is done: the request comes
/// from the shop's pages and carries the session's CSRF token. A refusal (a page saying
/// nothing was changed) when it fails them.
pub fn check_form(
    shop: &Shop,
    headers: &HeaderMap,
    session: &SignedIn,
    csrf: &str,
) -> Result<(), ShopError> {
    let token_ok: bool = csrf.as_bytes().ct_eq(session.csrf.as_bytes()).into();
    if same_origin(shop, headers) && token_ok {
        return Ok(());
    }
    tracing::warn!(
        operator = session.operator,
        "a back-office form failed the origin or CSRF check"
    );
    Err(ShopError::refused(
        StatusCode::FORBIDDEN,
        "This form did not come from the back office",
        "It was sent from another site or with an expired page. Nothing was changed: reload the \
         page and try again.",
    ))
}

/// The client's address, when the server was started with it (`serve` does).
pub fn client_address(parts_extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    parts_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0)
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Where to go after signing in: a path on this shop (visible ASCII, not `//host` or
/// `/\host`, which browsers read as another site), else the orders.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            path.to_owned()
        }
        _ => "/orders".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_sign_in_only_a_path_on_this_shop_is_followed() {
        for (next, to) in [
            (Some("/orders/O-1?command=abc"), "/orders/O-1?command=abc"),
            (None, "/orders"),
            (Some("https://evil.example/"), "/orders"),
            (Some("//evil.example/"), "/orders"),
            (Some("/\\evil.example/"), "/orders"),
            (Some("/orders\r\nSet-Cookie: x=y"), "/orders"),
            (Some("/\t/evil.example"), "/orders"),
            (Some("orders"), "/orders"),
        ] {
            assert_eq!(safe_next(next), to, "{next:?}");
        }
    }

    #[test]
    fn the_session_cookie_is_http_only_strict_and_secure_behind_https() {
        let token = "ab".repeat(32);
        assert_eq!(
            session_cookie_for("http://127.0.0.1:3000", Some(&token), 60),
            format!("eximbay_session={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=60")
        );
        assert_eq!(
            session_cookie_for("https://shop.example", Some(&token), 60),
            format!(
                "eximbay_session={token}; HttpOnly; SameSite=Strict; Secure; Path=/; Max-Age=60"
            )
        );
        assert_eq!(
            session_cookie_for("HTTPS://shop.example", None, 60),
            "eximbay_session=; HttpOnly; SameSite=Strict; Secure; Path=/; Max-Age=0"
        );
    }

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify_password(&hash, "correct horse battery staple"));
        assert!(!verify_password(&hash, "correct horse battery stapl"));
        assert!(!verify_password(
            "not a hash",
            "correct horse battery staple"
        ));
        let again = hash_password("correct horse battery staple").unwrap();
        assert_ne!(hash, again, "a fresh salt every time");
        assert_eq!(token_hash("abc").len(), 64);
        assert_ne!(random_token(), random_token());
    }
}

/// `?next=` on the sign-in page.
#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    /// Where to go after signing in.
    pub next: Option<String>,
}

/// `GET /sign-in`.
pub async fn sign_in_page(
    State(shop): State<Arc<Shop>>,
    Query(query): Query<SignInQuery>,
) -> Response {
    sign_in_form(&shop, StatusCode::OK, query.next.as_deref(), None)
}

fn sign_in_form(
    shop: &Shop,
    status: StatusCode,
    next: Option<&str>,
    problem: Option<&str>,
) -> Response {
    let mut page = shop.pages.render(
        "sign_in.html",
        context! {
            next => safe_next(next),
            problem => problem,
            instance => &shop.settings.instance,
        },
    );
    *page.status_mut() = status;
    page
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct SignInForm {
    /// The operator's name.
    pub name: String,
    /// The password.
    pub password: String,
    /// Where to go next.
    #[serde(default)]
    pub next: Option<String>,
}

impl std::fmt::Debug for SignInForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInForm")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// `POST /sign-in`: checks the limit, then the password; sets the session cookie.
pub async fn sign_in(
    State(shop): State<Arc<Shop>>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(form): Form<SignInForm>,
) -> Result<Response, ShopError> {
    let next = form.next.as_deref();
    if !same_origin(&shop, &headers) {
        return Ok(sign_in_form(
            &shop,
            StatusCode::FORBIDDEN,
            next,
            Some("This sign-in did not come from this shop's page."),
        ));
    }
    let name = form.name.trim();
    let limits = &shop.settings.limits;
    // The failure window, on the database's clock (the same on every instance).
    let window = limits.sign_in_window_seconds;
    let by_name = format!("name:{name}");
    let by_client = client_address(&extensions).map(|a| format!("client:{}", a.ip()));
    let name_failures = shop
        .store
        .sign_in_failures(&by_name, window)
        .await
        .map_err(ShopError::Unavailable)?;
    let client_failures = match &by_client {
        Some(subject) => shop
            .store
            .sign_in_failures(subject, window)
            .await
            .map_err(ShopError::Unavailable)?,
        None => 0,
    };
    if name_failures >= limits.sign_in_failures_per_name
        || client_failures >= limits.sign_in_failures_per_client
    {
        tracing::warn!(operator = name, "sign-in refused: too many failures");
        return Ok(sign_in_form(
            &shop,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            Some("Too many failed sign-ins. Wait a quarter of an hour, then try again."),
        ));
    }
    let stored = shop
        .store
        .operator_hash(name)
        .await
        .map_err(ShopError::Unavailable)?;
    let password = form.password.clone();
    let verified = tokio::task::spawn_blocking(move || {
        let hash = stored.as_deref().unwrap_or_else(|| decoy_hash());
        verify_password(hash, &password) && stored.is_some()
    })
    .await
    .unwrap_or(false);
    if !verified {
        let mut subjects = vec![by_name.as_str()];
        subjects.extend(by_client.as_deref());
        shop.store
            .record_sign_in_failure(&subjects)
            .await
            .map_err(ShopError::Unavailable)?;
        tracing::warn!(operator = name, "sign-in failed");
        return Ok(sign_in_form(
            &shop,
            StatusCode::UNAUTHORIZED,
            next,
            Some("That name and password do not match an operator."),
        ));
    }
    let token = random_token();
    let csrf = random_token();
    shop.store
        .insert_session(&token_hash(&token), name, &csrf, limits.session_seconds)
        .await
        .map_err(ShopError::Unavailable)?;
    shop.store
        .clear_sign_in_failures(&by_name)
        .await
        .map_err(ShopError::Unavailable)?;
    tracing::info!(operator = name, "signed in");
    let mut response = Redirect::to(&safe_next(next)).into_response();
    if let Ok(value) = session_cookie(&shop, Some(&token)).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct SignOutForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
}

/// `POST /sign-out`: ends the session everywhere (it is deleted from the database).
pub async fn sign_out(
    State(shop): State<Arc<Shop>>,
    session: SignedIn,
    headers: HeaderMap,
    Form(form): Form<SignOutForm>,
) -> Result<Response, ShopError> {
    check_form(&shop, &headers, &session, &form.csrf)?;
    if let Err(error) = shop.store.delete_session(&session.token_hash).await {
        tracing::error!(%error, "sign-out: database");
    }
    let mut response = Redirect::to("/sign-in").into_response();
    if let Ok(value) = session_cookie(&shop, None).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}
