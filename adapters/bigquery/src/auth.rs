//! Access tokens for BigQuery's REST API.
//!
//! gcp_auth does the credential work (signing a service account's JWT, the
//! metadata server, gcloud's user credentials) and caches tokens until they
//! expire. This module only picks the source the target names and keeps the
//! token in a `SecretString` until it goes into an `Authorization` header.

use std::sync::Arc;

use gcp_auth::{CustomServiceAccount, MetadataServiceAccount, TokenProvider};
use secrecy::{ExposeSecret, SecretString};

use crate::settings::{AuthMode, KeySource};

const SCOPE: &str = "https://www.googleapis.com/auth/bigquery";

pub(crate) enum Auth {
    None,
    Provider(Arc<dyn TokenProvider>),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "Auth::None",
            Auth::Provider(_) => "Auth::Provider(..)",
        })
    }
}

impl Auth {
    /// Builds the token source; reads key material but contacts nothing,
    /// except ADC and the metadata server which probe where they run.
    pub(crate) async fn from_mode(mode: &AuthMode) -> Result<Self, String> {
        // gcp_auth's errors can quote what it failed to parse; a key is never
        // echoed, so only the error's kind-level text is kept.
        let provider: Arc<dyn TokenProvider> = match mode {
            AuthMode::None => return Ok(Auth::None),
            AuthMode::Adc => gcp_auth::provider()
                .await
                .map_err(|e| format!("no application default credentials found ({e}); set GOOGLE_APPLICATION_CREDENTIALS, run `gcloud auth application-default login`, or choose `auth = \"service_account\"`"))?,
            AuthMode::WorkloadIdentity => Arc::new(MetadataServiceAccount::new().await.map_err(
                |e| format!("the metadata server (workload identity) did not answer: {e}"),
            )?),
            AuthMode::ServiceAccount(KeySource::File(path)) => Arc::new(
                CustomServiceAccount::from_file(path).map_err(|_| {
                    format!(
                        "cannot read a service-account key from {} (a JSON key file as downloaded from the console)",
                        path.display()
                    )
                })?,
            ),
            AuthMode::ServiceAccount(KeySource::Env(var)) => {
                let json = SecretString::from(std::env::var(var).map_err(|_| {
                    format!("`key_json_env` names `{var}`, which is not set")
                })?);
                Arc::new(
                    CustomServiceAccount::from_json(json.expose_secret()).map_err(|_| {
                        format!("`{var}` does not hold a service-account key's JSON")
                    })?,
                )
            }
        };
        Ok(Auth::Provider(provider))
    }

    /// The bearer token for the next request, or `None` without auth.
    pub(crate) async fn token(&self) -> Result<Option<SecretString>, String> {
        match self {
            Auth::None => Ok(None),
            Auth::Provider(p) => {
                let token = p
                    .token(&[SCOPE])
                    .await
                    .map_err(|e| format!("cannot get an access token: {e}"))?;
                Ok(Some(SecretString::from(token.as_str().to_string())))
            }
        }
    }
}
