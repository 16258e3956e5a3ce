//! How the client proves who it is at login: a password, a key-pair JWT, or
//! an OAuth access token. Every secret stays in a `secrecy` box; `Debug`
//! prints the method, never the material.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::signature::{SignatureEncoding, Signer};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// One way of logging in.
pub enum Credentials {
    Password(SecretString),
    /// Snowflake's key-pair authentication: a JWT signed with the user's RSA key.
    KeyPair(Box<KeyPair>),
    /// An OAuth access token issued for the user.
    OAuth(SecretString),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Credentials::Password(_) => "Credentials::Password(<redacted>)",
            Credentials::KeyPair(_) => "Credentials::KeyPair(<redacted>)",
            Credentials::OAuth(_) => "Credentials::OAuth(<redacted>)",
        })
    }
}

/// An RSA private key and the fingerprint Snowflake knows its public half by.
pub struct KeyPair {
    key: RsaPrivateKey,
    /// `SHA256:<base64 of the SHA-256 of the DER public key>`, as Snowflake's
    /// `RSA_PUBLIC_KEY_FP` shows it.
    fingerprint: String,
}

impl KeyPair {
    /// Reads a PEM key: PKCS#8 (`BEGIN PRIVATE KEY`), encrypted PKCS#8
    /// (`BEGIN ENCRYPTED PRIVATE KEY`, needs the passphrase) or PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`). Errors never quote the key or passphrase.
    pub fn from_pem(pem: &SecretString, passphrase: Option<&SecretString>) -> Result<Self, String> {
        let pem = pem.expose_secret().trim();
        let key = if pem.contains("BEGIN ENCRYPTED PRIVATE KEY") {
            let pass = passphrase.ok_or(
                "the private key is encrypted: set `private_key_passphrase_env` to the variable holding its passphrase",
            )?;
            RsaPrivateKey::from_pkcs8_encrypted_pem(pem, pass.expose_secret().as_bytes()).map_err(
                |_| {
                    "cannot decrypt the private key: wrong passphrase or not an RSA PKCS#8 key"
                        .to_string()
                },
            )?
        } else if pem.contains("BEGIN RSA PRIVATE KEY") {
            RsaPrivateKey::from_pkcs1_pem(pem)
                .map_err(|_| "cannot read the private key as PKCS#1 RSA PEM".to_string())?
        } else {
            RsaPrivateKey::from_pkcs8_pem(pem).map_err(|_| {
                "cannot read the private key: expected an RSA key in PEM (PKCS#8 or PKCS#1)"
                    .to_string()
            })?
        };
        let der = key
            .to_public_key()
            .to_public_key_der()
            .map_err(|_| "cannot encode the public key".to_string())?;
        let fingerprint = format!("SHA256:{}", STANDARD.encode(Sha256::digest(der.as_bytes())));
        Ok(Self { key, fingerprint })
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The login JWT: `iss` = ACCOUNT.USER.fingerprint, `sub` = ACCOUNT.USER,
    /// valid for an hour (Snowflake's maximum). The account is the locator
    /// without region or `.global` suffix, upper-cased, as Snowflake requires.
    /// https://docs.snowflake.com/en/developer-guide/sql-api/authenticating#using-key-pair-authentication
    pub fn jwt(&self, account: &str, user: &str, now_unix: i64) -> SecretString {
        let account = account.split('.').next().unwrap_or(account).to_uppercase();
        let user = user.to_uppercase();
        let qualified = format!("{account}.{user}");
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "iss": format!("{qualified}.{}", self.fingerprint),
            "sub": qualified,
            "iat": now_unix,
            "exp": now_unix + 3600,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes());
        let signing_input = format!("{header}.{claims}");
        let signer = SigningKey::<Sha256>::new(self.key.clone());
        let signature = signer.sign(signing_input.as_bytes()).to_bytes();
        SecretString::from(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

impl Credentials {
    /// The authenticator fields of the login request's `data`.
    pub(crate) fn login_fields(
        &self,
        account: &str,
        user: &str,
        data: &mut serde_json::Map<String, serde_json::Value>,
    ) {
        let now = chrono::Utc::now().timestamp();
        match self {
            Credentials::Password(p) => {
                data.insert("PASSWORD".into(), p.expose_secret().into());
            }
            Credentials::KeyPair(k) => {
                data.insert("AUTHENTICATOR".into(), "SNOWFLAKE_JWT".into());
                data.insert(
                    "TOKEN".into(),
                    k.jwt(account, user, now).expose_secret().into(),
                );
            }
            Credentials::OAuth(t) => {
                data.insert("AUTHENTICATOR".into(), "OAUTH".into());
                data.insert("TOKEN".into(), t.expose_secret().into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    use std::process::Command;

    fn openssl(dir: &std::path::Path, args: &[&str]) {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The key files a user makes as Snowflake's guide says, with openssl.
    #[test]
    fn an_encrypted_pkcs8_key_signs_a_jwt_snowflake_can_verify() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl(d, &["genrsa", "-out", "rsa_key.pem", "2048"]);
        openssl(
            d,
            &[
                "pkcs8",
                "-topk8",
                "-inform",
                "PEM",
                "-in",
                "rsa_key.pem",
                "-out",
                "rsa_key.p8",
                "-v2",
                "aes-256-cbc",
                "-passout",
                "pass:s3cr3t-phrase",
            ],
        );
        openssl(
            d,
            &[
                "pkcs8",
                "-topk8",
                "-inform",
                "PEM",
                "-in",
                "rsa_key.pem",
                "-out",
                "plain.p8",
                "-nocrypt",
            ],
        );
        openssl(
            d,
            &[
                "rsa",
                "-in",
                "rsa_key.pem",
                "-pubout",
                "-out",
                "rsa_key.pub",
            ],
        );
        openssl(
            d,
            &[
                "rsa",
                "-in",
                "rsa_key.pem",
                "-pubout",
                "-outform",
                "DER",
                "-out",
                "rsa_key.der",
            ],
        );
        let read = |f: &str| SecretString::from(std::fs::read_to_string(d.join(f)).unwrap());

        let encrypted = read("rsa_key.p8");
        assert!(
            encrypted
                .expose_secret()
                .contains("BEGIN ENCRYPTED PRIVATE KEY")
        );
        let missing = KeyPair::from_pem(&encrypted, None).err().unwrap();
        assert!(missing.contains("private_key_passphrase_env"), "{missing}");
        let wrong = KeyPair::from_pem(&encrypted, Some(&SecretString::from("nope")))
            .err()
            .unwrap();
        assert!(
            wrong.contains("wrong passphrase") && !wrong.contains("nope"),
            "{wrong}"
        );
        let pair =
            KeyPair::from_pem(&encrypted, Some(&SecretString::from("s3cr3t-phrase"))).unwrap();

        // The fingerprint is what `DESC USER` shows: SHA-256 of the DER public key.
        let der = std::fs::read(d.join("rsa_key.der")).unwrap();
        assert_eq!(
            pair.fingerprint(),
            format!("SHA256:{}", STANDARD.encode(Sha256::digest(&der)))
        );
        // Unencrypted PKCS#8 and PKCS#1 give the same key.
        assert_eq!(
            KeyPair::from_pem(&read("plain.p8"), None)
                .unwrap()
                .fingerprint(),
            pair.fingerprint()
        );
        assert_eq!(
            KeyPair::from_pem(&read("rsa_key.pem"), None)
                .unwrap()
                .fingerprint(),
            pair.fingerprint()
        );

        let jwt = pair.jwt("myorg-acct.eu-west-1", "loader", 1_700_000_000);
        let parts: Vec<&str> = jwt.expose_secret().split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["sub"], "MYORG-ACCT.LOADER");
        assert_eq!(
            claims["iss"],
            format!("MYORG-ACCT.LOADER.{}", pair.fingerprint())
        );
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            3600
        );
        // The signature verifies with the public key the user registers.
        let public = rsa::RsaPublicKey::from_public_key_pem(
            &std::fs::read_to_string(d.join("rsa_key.pub")).unwrap(),
        )
        .unwrap();
        let sig =
            Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
        VerifyingKey::<Sha256>::new(public)
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .expect("the JWT's signature verifies");
    }

    #[test]
    fn debug_never_shows_the_material() {
        let c = Credentials::Password(SecretString::from("hunter2-pw"));
        let o = Credentials::OAuth(SecretString::from("oauth-tok-123"));
        let shown = format!("{c:?} {o:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("oauth-tok"),
            "{shown}"
        );
    }
}
