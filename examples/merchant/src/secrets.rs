//! Keeping credentials out of what the shop prints: a database URL as it may appear in a
//! message, and a database error scrubbed of the URL's secrets.

/// Query parameters whose values are secrets (PostgreSQL's `password`, `sslpassword`, and
/// anything named like a key or token), matched case-insensitively on part of the name.
const SECRET_PARAMS: [&str; 5] = ["pass", "secret", "token", "key", "auth"];

const REDACTED: &str = "redacted";

fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|part| name.contains(part))
}

/// A database URL fit for a message: the password in `user:password@` and every secret
/// query parameter (`?password=`, `sslpassword=`, …) replaced by `redacted`, the fragment
/// dropped. A URL that does not parse (a libpq `key=value` string, several hosts) is not
/// shown at all, only its scheme if it has one.
pub fn redact_database_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Only fails for URLs that cannot have credentials, which have none.
                let _ = parsed.set_password(Some(REDACTED));
            }
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let v = if is_secret_param(&k) {
                        REDACTED.to_owned()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if parsed.query().is_some() {
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.set_fragment(None);
            parsed.to_string()
        }
        Err(_) => {
            let scheme = url
                .split_once("://")
                .map(|(scheme, _)| scheme)
                .filter(|s| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+'));
            match scheme {
                Some(scheme) => format!("{scheme}://… (not shown: it does not parse as a URL)"),
                None => "(not shown: it does not parse as a URL)".to_owned(),
            }
        }
    }
}

/// The secrets in a database URL, as written and percent-decoded (for [`scrub`]).
fn secrets_of(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    match url::Url::parse(url) {
        Ok(parsed) => {
            if let Some(password) = parsed.password() {
                secrets.push(password.to_owned());
            }
            for (key, value) in parsed.query_pairs() {
                if is_secret_param(&key) {
                    secrets.push(value.into_owned());
                }
            }
        }
        // Unparseable: every `password=value` (libpq's form) is a secret.
        Err(_) => {
            for part in url.split(|c: char| c.is_whitespace() || c == '&' || c == '?') {
                match part.split_once('=') {
                    Some((key, value)) if is_secret_param(key) => {
                        secrets.push(value.trim_matches('\'').to_owned());
                    }
                    _ => {}
                }
            }
        }
    }
    let decoded: Vec<String> = secrets
        .iter()
        .map(|s| {
            form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .collect();
    secrets.extend(decoded);
    secrets.retain(|s| !s.is_empty());
    // Longest first, so a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

/// `text` (a database error, say) with every secret of `url` replaced, and the URL itself
/// replaced by its redacted form.
pub fn scrub(text: &str, url: &str) -> String {
    let mut text = text.replace(url, &redact_database_url(url));
    for secret in secrets_of(url) {
        text = text.replace(&secret, REDACTED);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_credentials_in_a_database_url_is_redacted() {
        let cases = [
            (
                "postgres://shop:hunter2-secret@db.internal:5432/shop",
                "postgres://shop:redacted@db.internal:5432/shop",
            ),
            (
                "postgres://shop:p%40ss%3Aword@db/shop",
                "postgres://shop:redacted@db/shop",
            ),
            (
                "postgres://:onlypass@db/shop",
                "postgres://:redacted@db/shop",
            ),
            (
                "postgres://shop@db/shop?password=hunter2&sslmode=require",
                "postgres://shop@db/shop?password=redacted&sslmode=require",
            ),
            (
                "postgresql://db/shop?user=shop&PASSWORD=hunter2&sslpassword=k3y&application_name=x",
                "postgresql://db/shop?user=shop&PASSWORD=redacted&sslpassword=redacted&application_name=x",
            ),
            (
                "postgres://db/shop?password=a%26b%3Dc#frag-hunter2",
                "postgres://db/shop?password=redacted",
            ),
            (
                "sqlite://eximbay-merchant.db",
                "sqlite://eximbay-merchant.db",
            ),
            (
                "postgres://shop:hunter2@h1,h2/shop",
                "postgres://shop:redacted@h1,h2/shop",
            ),
            (
                "postgres://shop:hunter2@[h1/shop",
                "postgres://… (not shown: it does not parse as a URL)",
            ),
            (
                "host=db user=shop password=hunter2",
                "(not shown: it does not parse as a URL)",
            ),
        ];
        for (url, shown) in cases {
            let redacted = redact_database_url(url);
            assert_eq!(redacted, shown, "{url}");
            for secret in [
                "hunter2", "p%40ss", "p@ss", "onlypass", "k3y", "a%26b", "a&b",
            ] {
                assert!(!redacted.contains(secret), "{url} -> {redacted}");
            }
        }
    }

    #[test]
    fn an_error_that_quotes_the_url_or_its_password_is_scrubbed() {
        let url = "postgres://shop:p%40ss@db/shop?sslpassword=k3y";
        let error = format!("error connecting to {url}: password authentication failed (p@ss)");
        let scrubbed = scrub(&error, url);
        assert_eq!(
            scrubbed,
            "error connecting to postgres://shop:redacted@db/shop?sslpassword=redacted: \
             password authentication failed (redacted)"
        );
        let libpq = "host=db password='hunter2'";
        assert!(!scrub(&format!("bad: {libpq}"), libpq).contains("hunter2"));
    }
}
