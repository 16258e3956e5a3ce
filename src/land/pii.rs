//! PII tokenization: the one transformation pushdown does before landing.
//!
//! A declared PII value becomes `email_token`-style: lowercase hex
//! HMAC-SHA-256 of the trimmed, lower-cased value under the run's key. Equal
//! addresses give equal tokens, so joins and SCD2 comparisons still work, and
//! without the key a token cannot be reversed or even confirmed.
//!
//! Lines that cannot be parsed may still carry an address somewhere, so
//! rejected text is also scrubbed of anything shaped like an e-mail address.

use std::borrow::Cow;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Tokenizes values under a key. Debug never shows the key.
#[derive(Clone)]
pub struct Tokenizer {
    mac: HmacSha256,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokenizer { key: [REDACTED] }")
    }
}

impl Tokenizer {
    pub fn new(key: &SecretString) -> Self {
        let mac = HmacSha256::new_from_slice(key.expose_secret().as_bytes())
            .expect("HMAC accepts keys of any length");
        Self { mac }
    }

    /// The token of one value: hex HMAC-SHA-256 of `trim(lower(value))`.
    pub fn token(&self, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(value.trim().to_lowercase().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Replaces every e-mail-shaped run in `text` by its token.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let spans = email_spans(text);
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end) in spans {
            out.push_str(&text[at..start]);
            out.push_str(&self.token(&text[start..end]));
            at = end;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }
}

fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b)
}

fn is_domain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
}

/// Byte ranges of substrings shaped like `local@domain.tld`. Deliberately
/// generous: scrubbing something that was not an address costs nothing,
/// leaking one that was is the failure this guards against.
fn email_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while let Some(off) = memchr_at(bytes, i) {
        let at = off;
        let mut start = at;
        while start > 0 && is_local_char(bytes[start - 1]) {
            start -= 1;
        }
        // Leading dots and quotes belong to the surrounding text.
        while start < at && matches!(bytes[start], b'.' | b'\'' | b'`') {
            start += 1;
        }
        let mut end = at + 1;
        while end < bytes.len() && is_domain_char(bytes[end]) {
            end += 1;
        }
        while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let domain = &text[at + 1..end];
        if start < at && domain.contains('.') && !domain.starts_with('.') {
            if spans.last().is_none_or(|&(_, e)| e <= start) {
                spans.push((start, end));
            }
            i = end;
        } else {
            i = at + 1;
        }
    }
    spans
}

fn memchr_at(bytes: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&b| b == b'@')
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Tokenizer {
        Tokenizer::new(&SecretString::from("k3y"))
    }

    #[test]
    fn token_is_hmac_of_trimmed_lowercase() {
        // Reference value computed independently:
        // printf '%s' 'ann@example.com' | openssl dgst -sha256 -hmac k3y
        let expected = {
            let mut mac = HmacSha256::new_from_slice(b"k3y").unwrap();
            mac.update(b"ann@example.com");
            hex::encode(mac.finalize().into_bytes())
        };
        assert_eq!(t().token("  Ann@Example.COM "), expected);
        assert_eq!(expected.len(), 64);
        assert!(
            expected
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }

    #[test]
    fn scrub_replaces_addresses_anywhere() {
        let tok = t();
        let out = tok.scrub("oops bob.smith+x@mail.example.com {\"a\":\"ann@ex.io\"}.");
        assert!(!out.contains('@'), "{out}");
        assert!(out.contains(&tok.token("bob.smith+x@mail.example.com")));
        assert!(out.contains(&tok.token("ann@ex.io")));
        assert!(out.ends_with("\"}."), "{out}");
    }

    #[test]
    fn scrub_leaves_text_without_addresses() {
        assert!(matches!(t().scrub("a @ b, x@y, 10@20"), Cow::Borrowed(_)));
    }

    #[test]
    fn debug_never_shows_the_key() {
        assert!(!format!("{:?}", t()).contains("k3y"));
    }
}
