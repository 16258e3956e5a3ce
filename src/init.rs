//! `pushdown init DIR`: a new project that runs as it is, with one source,
//! one model per layer and a gate, the way a user starts their own.

use std::path::Path;

use crate::error::{Error, Result};

const FILES: &[(&str, &str)] = &[
    (
        "pushdown.toml",
        r#"# A pushdown project. Run it with:
#   PUSHDOWN_PII_KEY=change-me pushdown run --project .
# Reference: the README of pushdown, and `pushdown validate --project .`.

[project]
name = "{name}"
landing = "landing"            # PUSHDOWN_LANDING_DIR overrides
default_target = "dev"

[pii]
key_env = "PUSHDOWN_PII_KEY"   # the HMAC key that tokenizes PII fields

[transform]
lookback = "3 days"

[targets.dev]
adapter = "duckdb"
path = "target/warehouse.duckdb"   # PUSHDOWN_DUCKDB_PATH overrides

[[sources]]
name = "signups"
format = "jsonl"
required = ["signup_id", "user_id", "signed_up_at"]
pii = ["email"]
types = { signed_up_at = "timestamp", plan_price = "decimal" }
"#,
    ),
    (
        "landing/signups/2026-01-01/signups.jsonl",
        r#"{"signup_id":"s1","user_id":"u1","email":"Ann@Example.com","plan":"pro","plan_price":"12.00","signed_up_at":"2026-01-01T09:00:00+01:00"}
{"signup_id":"s2","user_id":"u2","email":"bob@example.com","plan":"free","plan_price":"0.00","signed_up_at":"2026-01-01T23:30:00-05:00"}
{"signup_id":"s2","user_id":"u2","email":"bob@example.com","plan":"pro","plan_price":"12.00","signed_up_at":"2026-01-01T23:30:00-05:00","changed":true}
this line is not JSON and lands in raw.rejects
"#,
    ),
    (
        "models/ods/signups_current.sql",
        r#"/* pushdown
# Latest state per signup: the newest landing of each signup_id wins.
materialized = "incremental"
unique_key = ["signup_id"]
latest_by = ["_ingested_at desc", "_line desc"]

[[checks]]
type = "unique"
columns = ["signup_id"]
*/
SELECT
    payload ->> 'signup_id' AS signup_id,
    payload ->> 'user_id' AS user_id,
    payload ->> 'email' AS email_token,
    payload ->> 'plan' AS plan,
    CAST(payload ->> 'plan_price' AS DECIMAL(18, 2)) AS plan_price,
    CAST(CAST(payload ->> 'signed_up_at' AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) AS signed_up_at,
    _ingested_at,
    _line
FROM raw.signups
"#,
    ),
    (
        "models/dw/fact_signups.sql",
        r#"/* pushdown
materialized = "partition_overwrite"
unique_key = ["signup_id"]
partition_by = "signup_date"

[upstream."ods.signups_current"]
via = "signup_id"

[[checks]]
type = "not_null"
columns = ["signup_id", "plan_price"]
*/
SELECT
    signup_id,
    user_id,
    plan,
    plan_price,
    signed_up_at,
    CAST(signed_up_at AS DATE) AS signup_date
FROM ods.signups_current
"#,
    ),
    (
        "models/mart/signups_daily.sql",
        r#"/* pushdown
materialized = "partition_overwrite"
partition_by = "signup_date"

[[checks]]
type = "row_count_delta"
max_change = 1.0
*/
SELECT signup_date, count(*) AS signups, sum(plan_price) AS booked_price
FROM dw.fact_signups
GROUP BY signup_date
"#,
    ),
    (
        "README.md",
        "# {name}\n\nA pushdown project. Run it:\n\n```\nPUSHDOWN_PII_KEY=change-me pushdown run --project .\npushdown status --project .\n```\n",
    ),
    (".gitignore", "target/\n"),
];

pub fn init(dir: &Path) -> Result<()> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Error::Usage(format!(
            "{} exists and is not empty: choose a new folder",
            dir.display()
        )));
    }
    let name = std::path::absolute(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "my_project".into());
    for (path, text) in FILES {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::Usage(format!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::write(&path, text.replace("{name}", &name))
            .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))?;
    }
    println!(
        "created {}: run it with\n  PUSHDOWN_PII_KEY=change-me pushdown run --project {}",
        dir.display(),
        dir.display()
    );
    Ok(())
}
