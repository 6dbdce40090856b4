//! `fgkey`: the gateway's SHA-256 signature over form parameters.
//!
//! 1. take **all** parameters except `fgkey`, including those with empty values;
//! 2. sort them by key, in plain byte order (ties, which a well-formed body never has, by
//!    value, so the result never depends on input order);
//! 3. join `k=v` with `&`, using the URL-**decoded** values (never re-encoded);
//! 4. `SHA-256(secret_key + "?" + joined)`, as hex.
//!
//! We produce upper-case hex, as the gateway does, and compare case-insensitively in
//! constant time. The joined string is never built: the pieces are fed to the hash in
//! order, so signing a notification allocates only the sorted list of borrowed pairs.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::SecretKey;

/// The parameter that carries the signature (excluded from what is signed).
pub const FGKEY_FIELD: &str = "fgkey";

fn digest<'a, I>(secret: &SecretKey, params: I) -> [u8; 32]
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let params = params.into_iter();
    // Sized up front: `filter` hides the length from `collect`, which would grow it by doubling.
    let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(params.size_hint().1.unwrap_or(16));
    pairs.extend(params.filter(|(k, _)| *k != FGKEY_FIELD));
    pairs.sort_unstable_by(|a, b| {
        a.0.as_bytes()
            .cmp(b.0.as_bytes())
            .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
    });
    let mut hasher = Sha256::new();
    hasher.update(secret.expose().as_bytes());
    hasher.update(b"?");
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            hasher.update(b"&");
        }
        hasher.update(key.as_bytes());
        hasher.update(b"=");
        hasher.update(value.as_bytes());
    }
    hasher.finalize().into()
}

/// Signs decoded parameters: upper-case hex SHA-256.
pub fn sign<'a, I>(secret: &SecretKey, params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    hex::encode_upper(digest(secret, params))
}

/// Checks an fgkey against decoded parameters, case-insensitively and in constant time.
/// An fgkey that is not 64 hex digits never verifies.
pub fn verify<'a, I>(secret: &SecretKey, params: I, fgkey: &str) -> bool
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut given = [0_u8; 32];
    if hex::decode_to_slice(fgkey.trim(), &mut given).is_err() {
        return false;
    }
    let expected = digest(secret, params);
    expected.ct_eq(&given).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The worked example of DESIGN.md §3 (public test secret, synthetic payload).
    const SECRET: &str = "289F40E6640124B2628640168C3C5464";
    const EXPECTED: &str = "140C8599A2858E43633F1A1D1868F0D726524A14A32F061E9152DE69A83037A9";

    fn params() -> Vec<(&'static str, &'static str)> {
        vec![
            ("mid", "1849705C64"),
            ("ref", "ORDER-0001"),
            ("cur", "USD"),
            ("amt", "10.50"),
            ("rescode", "0000"),
            ("resmsg", "Success."),
            ("transid", "1849705C6420260101000001"),
            ("param1", ""),
            ("email", "buyer+1@example.com"),
            ("resdt", "20260101120000"),
        ]
    }

    #[test]
    fn matches_the_worked_example() {
        let secret = SecretKey::new(SECRET).unwrap();
        assert_eq!(sign(&secret, params()), EXPECTED);
        assert!(verify(&secret, params(), EXPECTED));
        assert!(verify(&secret, params(), &EXPECTED.to_lowercase()));
    }

    #[test]
    fn empty_values_and_order_matter_as_specified() {
        let secret = SecretKey::new(SECRET).unwrap();
        let without_empty: Vec<_> = params()
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        assert_ne!(sign(&secret, without_empty), EXPECTED);
        let mut reversed = params();
        reversed.reverse();
        reversed.push(("fgkey", "ignored"));
        assert_eq!(sign(&secret, reversed), EXPECTED);
        assert!(!verify(&secret, params(), "not hex"));
        assert!(!verify(&secret, params(), &EXPECTED[..62]));
    }
}
