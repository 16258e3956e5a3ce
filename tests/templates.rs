//! The SQL templates, rendered without a warehouse.
//!
//! * The grid: every template file exists in every dialect folder, and every
//!   file is bound to a statement context.
//! * Snapshots: every statement context (and every variant that changes its
//!   output) rendered in every dialect, named `<case>@<dialect>`. Identifiers
//!   are hostile (a reserved word, a space and a double quote, unicode, a
//!   schema with a space) and string values try to break out of their quotes.
//! * A parse check: every rendered statement parses with sqlparser's parser
//!   for its dialect, as exactly one statement, except the few listed in
//!   [`UNPARSEABLE`] that are valid for the warehouse but beyond sqlparser.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use pushdown::sql::*;
use pushdown::transform::names::Names;
use pushdown_adapter::Dialect;
use sqlparser::dialect::{BigQueryDialect, DuckDbDialect, SnowflakeDialect};
use sqlparser::parser::Parser;

/// Statements sqlparser 0.64 cannot parse although the warehouse runs them:
/// (template file, dialect, how the statement starts, why). Each entry must
/// still fail to parse, so the list shrinks when sqlparser learns more.
const UNPARSEABLE: &[(&str, Dialect, &str, &str)] = &[];

/// Templates that render one multi-statement script, submitted as a single
/// request (a BigQuery transaction): they parse as several statements.
const SCRIPTS: &[(&str, Dialect)] = &[("load_batch", Dialect::BigQuery)];

/// Templates that render a relation (a table name or a parenthesized
/// subquery) to be placed in a FROM clause, not a statement: parsed inside
/// `SELECT * FROM <fragment> AS _f`.
const RELATION_FRAGMENTS: [&str; 4] = [
    "changed_raw",
    "changed_model",
    "would_be",
    "restricted_read",
];

/// A column named like a keyword, one with a space and a double quote, a
/// unicode one: quoting must keep each a single identifier.
const COLUMNS: [&str; 5] = ["id", "select", "a \"quoted\" col", "prix_€", "order_date"];
const KEYS: [&str; 2] = ["id", "select"];
const PARTITION: &str = "order_date";
/// A schema with a space.
const SCHEMA: &str = "my schema";
/// A value that would end its literal, open a new statement and comment out
/// the rest if it were pasted into the SQL.
const HOSTILE: &str = "it's \\ \"x\"; DROP TABLE t; --";

fn ts(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// The work relations of model `my schema.orders`, as the engine names them.
struct Rel {
    target: String,
    stage: String,
    keys: String,
    delta: String,
    changes: String,
    /// The model's own SQL, over a raw table.
    select: String,
}

fn rel(d: Dialect) -> Rel {
    let q = Q::new(d);
    // Named as the engine names them (scratch relations are temporary tables
    // on DuckDB).
    let names = Names::of_id(&q, SCHEMA, "orders");
    Rel {
        target: names.target,
        stage: names.stage,
        keys: names.keys,
        delta: names.delta,
        changes: names.changes,
        select: format!(
            "SELECT {} FROM {}",
            q.ids(COLUMNS),
            q.table("raw", "orders")
        ),
    }
}

/// Where the adapter of each warehouse says a staged file is.
fn staged(d: Dialect, file: &str) -> String {
    match d {
        Dialect::DuckDb => format!("/var/lib/pushdown/target/staging/run-1/{file}"),
        Dialect::Snowflake => format!("@\"analytics\".\"raw\".\"pushdown_stage\"/run-1/{file}"),
        // A staging table the adapter loaded the file into with a load job.
        Dialect::BigQuery => format!(
            "`analytics`.`_pushdown_staging`.`run_1_{}`",
            file.replace('.', "_")
        ),
    }
}

type Render = Box<dyn Fn(Dialect) -> Vec<String>>;

/// One snapshot family: a context (built per dialect, as the engine does)
/// and the template file it renders.
struct Case {
    name: &'static str,
    file: String,
    render: Render,
}

fn case<S: Statement + 'static>(
    name: &'static str,
    build: impl Fn(Dialect) -> S + 'static,
) -> Case {
    Case {
        name,
        file: snake(S::FILE),
        render: Box::new(move |d| build(d).render(d)),
    }
}

/// `CreateRawTable` -> `create_raw_table`, the template's file stem.
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, ch) in camel.chars().enumerate() {
        if ch.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

fn file_load(d: Dialect, n: u32, json: bool, rows: u64, rejects: u64) -> FileLoad {
    let q = Q::new(d);
    let (table, source) = if json {
        ("events", "events")
    } else {
        ("orders", "orders")
    };
    FileLoad {
        table: q.table("raw", table),
        json,
        columns: if json { Vec::new() } else { strings(&COLUMNS) },
        staged_rows: staged(d, &format!("{n:06}.rows")),
        staged_rejects: staged(d, &format!("{n:06}.rejects")),
        rows,
        rejects,
        bytes: 123_456,
        max_record_bytes: 16_777_216 + u64::from(n),
        source: source.into(),
        file: format!("{source}/{HOSTILE}-{n}.csv"),
        checksum: format!("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0{n}"),
        ingested_at: ts("2024-03-05 06:07:08.123456"),
        ingest_date: date("2024-03-05"),
        modified_ns: Some(1_709_600_000_123_456_789),
    }
}

fn load_batch(files: Vec<FileLoad>) -> LoadBatch {
    LoadBatch::new("run-1".into(), "run-1".into(), files)
}

fn match_scope(d: Dialect, columns: &[&str]) -> Scope {
    Scope::Match {
        table: rel(d).keys,
        columns: strings(columns),
    }
}

fn range_scope() -> Scope {
    Scope::Range {
        column: PARTITION.into(),
        start: date("2024-01-01"),
        end: date("2024-01-31"),
    }
}

fn publish(d: Dialect, kind: PublishKind, scope: Scope, partition: bool, create: bool) -> Publish {
    let r = rel(d);
    Publish {
        kind,
        target: r.target,
        stage: r.stage,
        delta: r.delta,
        scope,
        keys: strings(&KEYS),
        columns: strings(&COLUMNS),
        partition_by: partition.then(|| PARTITION.to_string()),
        partition_timestamps: false,
        create,
        by_delta: false,
    }
}

fn would_be(d: Dialect, scope: Scope, replaces_all: bool) -> WouldBe {
    let r = rel(d);
    WouldBe {
        target: r.target,
        stage: r.stage,
        scope,
        replaces_all,
        columns: strings(&COLUMNS),
    }
}

fn check(d: Dialect, check: CheckSpec) -> CheckQuery {
    CheckQuery {
        relation: would_be(d, match_scope(d, &KEYS), false)
            .render(d)
            .join("\n"),
        stage: rel(d).stage,
        check,
    }
}

/// The upstream change fragments the engine feeds to the key queries.
fn changed(d: Dialect) -> String {
    ChangedModel {
        changes: Q::new(d).table("_pushdown", "raw__customers__changes"),
        since_seq: 41,
    }
    .render(d)
    .join("\n")
}

fn cases() -> Vec<Case> {
    vec![
        // Landing.
        case("create_schema", |_| CreateSchema {
            schema: SCHEMA.into(),
        }),
        case("create_landing_tables", |_| CreateLandingTables),
        case("create_raw_table_json", |d| CreateRawTable {
            table: Q::new(d).table("raw", "events"),
            json: true,
            columns: Vec::new(),
        }),
        case("create_raw_table_csv", |d| CreateRawTable {
            table: Q::new(d).table("raw", "orders"),
            json: false,
            columns: strings(&COLUMNS),
        }),
        case("landed_checksums", |_| LandedChecksums),
        case("load_batch_json", |d| {
            load_batch(vec![file_load(d, 1, true, 10, 2)])
        }),
        case("load_batch_csv_no_rejects", |d| {
            load_batch(vec![file_load(d, 1, false, 10, 0)])
        }),
        case("load_batch_rejects_only", |d| {
            load_batch(vec![file_load(d, 1, true, 0, 3)])
        }),
        // Two tables, files with and without rejects, one without rows.
        case("load_batch_mixed", |d| {
            load_batch(vec![
                file_load(d, 1, false, 10, 2),
                file_load(d, 2, true, 5, 0),
                file_load(d, 3, false, 7, 0),
                file_load(d, 4, true, 0, 1),
            ])
        }),
        case("record_skipped_files", |_| RecordSkippedFiles {
            run_id: "run-1".into(),
            at: ts("2024-03-05 06:07:08"),
            files: vec![
                SkippedFile {
                    source: "orders".into(),
                    file: format!("orders/{HOSTILE}.csv"),
                    checksum: "abc".into(),
                },
                SkippedFile {
                    source: "orders".into(),
                    file: "orders/2024-03-05/again.csv".into(),
                    checksum: "def".into(),
                },
            ],
        }),
        // Run bookkeeping.
        case("create_run_tables", |_| CreateRunTables),
        case("relation_exists", |_| RelationExists {
            schema: SCHEMA.into(),
            name: HOSTILE.into(),
        }),
        case("max_value", |d| MaxValue {
            relation: Q::new(d).table("raw", "orders"),
            column: "_ingested_at".into(),
        }),
        case("upsert_watermark", |_| UpsertWatermark {
            model: format!("{SCHEMA}.orders"),
            upstream: "raw.orders".into(),
            value: HOSTILE.into(),
            run_id: "run-1".into(),
            at: ts("2024-03-05 06:07:08"),
        }),
        case("insert_run", |_| InsertRun {
            run_id: "run-1".into(),
            run_seq: 7,
            command: "transform".into(),
            mode: "incremental".into(),
            range_start: None,
            range_end: None,
            target: "dev".into(),
            started_at: ts("2024-03-05 06:07:08"),
            version: "0.1.0".into(),
        }),
        case("insert_run_backfill", |_| InsertRun {
            run_id: "run-1".into(),
            run_seq: 7,
            command: "transform".into(),
            mode: "backfill".into(),
            range_start: Some(date("2024-01-01")),
            range_end: Some(date("2024-01-31")),
            target: "dev".into(),
            started_at: ts("2024-03-05 06:07:08"),
            version: "0.1.0".into(),
        }),
        case("finish_run", |_| FinishRun {
            run_id: "run-1".into(),
            status: "success".into(),
            ended_at: ts("2024-03-05 06:07:09"),
            error: None,
        }),
        case("finish_run_error", |_| FinishRun {
            run_id: "run-1".into(),
            status: "failed".into(),
            ended_at: ts("2024-03-05 06:07:09"),
            error: Some(HOSTILE.into()),
        }),
        case("mark_abandoned_runs", |_| MarkAbandonedRuns {
            at: ts("2024-03-05 06:07:08"),
        }),
        case("insert_model_audit", |_| InsertModelAudit {
            run_id: "run-1".into(),
            model: format!("{SCHEMA}.orders"),
            materialization: "incremental".into(),
            status: "success".into(),
            partitions: Some("2024-01-01,2024-01-02".into()),
            partitions_count: 2,
            rows_inserted: 10,
            rows_updated: 3,
            rows_deleted: 1,
            started_at: ts("2024-03-05 06:07:08"),
            ended_at: ts("2024-03-05 06:07:09.5"),
            error: None,
        }),
        case("insert_model_audit_failed", |_| InsertModelAudit {
            run_id: "run-1".into(),
            model: format!("{SCHEMA}.orders"),
            materialization: "table".into(),
            status: "failed".into(),
            partitions: None,
            partitions_count: 0,
            rows_inserted: 0,
            rows_updated: 0,
            rows_deleted: 0,
            started_at: ts("2024-03-05 06:07:08"),
            ended_at: ts("2024-03-05 06:07:09"),
            error: Some(HOSTILE.into()),
        }),
        case("insert_check_audit", |_| InsertCheckAudit {
            run_id: "run-1".into(),
            model: format!("{SCHEMA}.orders"),
            check_name: HOSTILE.into(),
            check_type: "row_count_delta".into(),
            severity: "warn".into(),
            status: "warn".into(),
            offending: 2,
            threshold: Some("0.5".into()),
            at: ts("2024-03-05 06:07:08"),
        }),
        case("insert_check_audit_no_threshold", |_| InsertCheckAudit {
            run_id: "run-1".into(),
            model: format!("{SCHEMA}.orders"),
            check_name: "not_null_id".into(),
            check_type: "not_null".into(),
            severity: "error".into(),
            status: "pass".into(),
            offending: 0,
            threshold: None,
            at: ts("2024-03-05 06:07:08"),
        }),
        case("next_run_seq", |_| NextRunSeq),
        case("read_watermarks", |_| ReadWatermarks),
        case("read_passed_gates", |_| ReadPassedGates),
        case("recent_runs", |_| RecentRuns { limit: 20 }),
        // Finding the scope of an incremental run.
        case("changed_raw", |d| ChangedRaw {
            table: Q::new(d).table("raw", "orders"),
            column: "_ingested_at".into(),
            since: Some(ts("2024-03-05 05:07:08.000001")),
        }),
        case("changed_raw_first", |d| ChangedRaw {
            table: Q::new(d).table("raw", "orders"),
            column: "_ingested_at".into(),
            since: None,
        }),
        case("changed_model", |d| ChangedModel {
            changes: rel(d).changes,
            since_seq: 41,
        }),
        case("lost_values", |d| LostValues {
            changed: changed(d),
            field: "select".into(),
        }),
        case("keys_from_changed", |d| KeysFromChanged {
            column: "select".into(),
            upstream_column: "prix_€".into(),
            changed: changed(d),
        }),
        case("keys_via", |d| KeysVia {
            scope: strings(&KEYS),
            select: Some(rel(d).select),
            target: Some(rel(d).target),
            column: "a \"quoted\" col".into(),
            upstream_column: "id".into(),
            changed: changed(d),
        }),
        case("keys_via_first", |d| KeysVia {
            scope: strings(&KEYS),
            select: Some(rel(d).select),
            target: None,
            column: "a \"quoted\" col".into(),
            upstream_column: "id".into(),
            changed: changed(d),
        }),
        case("keys_via_published", |d| KeysVia {
            scope: strings(&KEYS),
            select: None,
            target: Some(rel(d).target),
            column: "a \"quoted\" col".into(),
            upstream_column: "id".into(),
            changed: changed(d),
        }),
        case("keys_via_valid_at", |d| KeysViaValidAt {
            scope: strings(&[PARTITION]),
            select: Some(rel(d).select),
            target: rel(d).target,
            column: "a \"quoted\" col".into(),
            valid_at: "select".into(),
            upstream: Q::new(d).table(SCHEMA, "customers"),
            surrogate_key: "id".into(),
            entity_keys: strings(&["prix_€"]),
            valid_from: "order_date".into(),
            tracked: strings(&["select", "prix_€"]),
            changed: changed(d),
        }),
        case("keys_via_valid_at_grain", |d| KeysViaValidAt {
            scope: strings(&[PARTITION]),
            select: None,
            target: rel(d).target,
            column: "a \"quoted\" col".into(),
            valid_at: "select".into(),
            upstream: Q::new(d).table(SCHEMA, "customers"),
            surrogate_key: "id".into(),
            entity_keys: strings(&["prix_€"]),
            valid_from: "order_date".into(),
            tracked: strings(&["select"]),
            changed: changed(d),
        }),
        case("restricted_read", |d| RestrictedRead {
            relation: Q::new(d).table(SCHEMA, "customers"),
            columns: vec![
                ("a \"quoted\" col".into(), "select".into()),
                ("prix_€".into(), "id".into()),
            ],
            keys: rel(d).keys,
        }),
        case("restricted_read_changed", |d| RestrictedRead {
            relation: Q::new(d).table(SCHEMA, "customers"),
            columns: vec![("id".into(), "select".into())],
            keys: changed(d),
        }),
        case("keys_of_rows", |d| KeysOfRows {
            scope: strings(&KEYS),
            select: rel(d).select,
        }),
        case("partitions_of_keys", |d| PartitionsOfKeys {
            partition: PARTITION.into(),
            target: rel(d).target,
            keys: strings(&KEYS),
            key_rows: KeysOfRows {
                scope: strings(&KEYS),
                select: rel(d).select,
            }
            .render(d)
            .join("\n"),
        }),
        case("create_keys", |d| CreateKeys {
            table: rel(d).keys,
            columns: strings(&[PARTITION]),
            selects: vec![
                KeysFromChanged {
                    column: PARTITION.into(),
                    upstream_column: PARTITION.into(),
                    changed: changed(d),
                }
                .render(d)
                .join("\n"),
                PartitionsOfKeys {
                    partition: PARTITION.into(),
                    target: rel(d).target,
                    keys: strings(&KEYS),
                    key_rows: KeysOfRows {
                        scope: strings(&KEYS),
                        select: rel(d).select,
                    }
                    .render(d)
                    .join("\n"),
                }
                .render(d)
                .join("\n"),
            ],
        }),
        // Building the rows of this run.
        case("build_stage_all", |d| BuildStage {
            stage: rel(d).stage,
            select: rel(d).select,
            scope: Scope::All,
            latest: None,
        }),
        case("build_stage_match_latest", |d| BuildStage {
            stage: rel(d).stage,
            select: rel(d).select,
            scope: match_scope(d, &KEYS),
            latest: Some(Latest {
                keys: strings(&KEYS),
                order: vec![("prix_€".into(), true), ("a \"quoted\" col".into(), false)],
            }),
        }),
        case("build_stage_range", |d| BuildStage {
            stage: rel(d).stage,
            select: rel(d).select,
            scope: range_scope(),
            latest: None,
        }),
        case("build_scd2_stage", |d| BuildScd2Stage {
            stage: rel(d).stage,
            select: rel(d).select,
            scope: Scope::All,
            keys: strings(&KEYS),
            tracked: strings(&["prix_€", "a \"quoted\" col"]),
            valid_from: PARTITION.into(),
            surrogate_key: "version_key".into(),
            order: vec![("prix_€".into(), true)],
            columns: strings(&COLUMNS),
        }),
        case("build_scd2_stage_match_unordered", |d| BuildScd2Stage {
            stage: rel(d).stage,
            select: rel(d).select,
            scope: match_scope(d, &KEYS),
            keys: strings(&["id"]),
            tracked: strings(&["prix_€"]),
            valid_from: PARTITION.into(),
            surrogate_key: "version_key".into(),
            order: Vec::new(),
            columns: strings(&COLUMNS),
        }),
        case("select_columns", |d| SelectColumns {
            relation: format!("({}) AS _m", rel(d).select),
        }),
        case("compute_delta_match", |d| ComputeDelta {
            delta: rel(d).delta,
            stage: rel(d).stage,
            target: Some(rel(d).target),
            scope: match_scope(d, &KEYS),
            columns: strings(&COLUMNS),
        }),
        case("compute_delta_range", |d| ComputeDelta {
            delta: rel(d).delta,
            stage: rel(d).stage,
            target: Some(rel(d).target),
            scope: range_scope(),
            columns: strings(&COLUMNS),
        }),
        case("compute_delta_new_table", |d| ComputeDelta {
            delta: rel(d).delta,
            stage: rel(d).stage,
            target: None,
            scope: Scope::All,
            columns: strings(&COLUMNS),
        }),
        case("delta_counts", |d| DeltaCounts {
            delta: rel(d).delta,
            keys: strings(&KEYS),
        }),
        case("distinct_values", |d| DistinctValues {
            relations: vec![rel(d).keys],
            column: PARTITION.into(),
        }),
        case("distinct_values_pooled", |d| DistinctValues {
            relations: vec![rel(d).stage, rel(d).target],
            column: PARTITION.into(),
        }),
        case("count_rows", |d| CountRows {
            relation: rel(d).stage,
        }),
        // Gates.
        case("would_be_match", |d| {
            would_be(d, match_scope(d, &KEYS), false)
        }),
        case("would_be_range", |d| would_be(d, range_scope(), false)),
        case("would_be_replace", |d| would_be(d, Scope::All, true)),
        case("check_not_null", |d| {
            check(
                d,
                CheckSpec::NotNull {
                    columns: strings(&["id", "select"]),
                },
            )
        }),
        case("check_unique", |d| {
            check(
                d,
                CheckSpec::Unique {
                    columns: strings(&["id", "prix_€"]),
                    among: None,
                },
            )
        }),
        case("check_unique_among", |d| {
            check(
                d,
                CheckSpec::Unique {
                    columns: strings(&["id", "prix_€"]),
                    among: Some(rel(d).stage),
                },
            )
        }),
        case("check_relationships", |d| {
            check(
                d,
                CheckSpec::Relationships {
                    column: "a \"quoted\" col".into(),
                    to: Q::new(d).table(SCHEMA, "customers"),
                    field: "select".into(),
                },
            )
        }),
        case("check_accepted_values", |d| {
            check(
                d,
                CheckSpec::AcceptedValues {
                    column: "select".into(),
                    values: strings(&["open", HOSTILE]),
                },
            )
        }),
        case("check_row_count_delta", |d| {
            check(
                d,
                CheckSpec::RowCountDelta {
                    partition: PARTITION.into(),
                    target: Some(rel(d).target),
                    changed: None,
                    max_change: 0.5,
                },
            )
        }),
        case("check_row_count_delta_by_key", |d| {
            check(
                d,
                CheckSpec::RowCountDelta {
                    partition: PARTITION.into(),
                    target: Some(rel(d).target),
                    changed: Some(rel(d).delta),
                    max_change: 0.5,
                },
            )
        }),
        case("check_row_count_delta_first", |d| {
            check(
                d,
                CheckSpec::RowCountDelta {
                    partition: PARTITION.into(),
                    target: None,
                    changed: None,
                    max_change: 0.5,
                },
            )
        }),
        case("check_freshness", |d| {
            check(
                d,
                CheckSpec::Freshness {
                    column: "prix_€".into(),
                    cutoff: ts("2024-03-04 06:07:08"),
                },
            )
        }),
        // Publishing.
        case("publish_create", |d| {
            publish(d, PublishKind::Replace, Scope::All, false, true)
        }),
        case("publish_create_partitioned", |d| {
            publish(d, PublishKind::Replace, Scope::All, true, true)
        }),
        case("publish_create_partitioned_by_timestamp", |d| Publish {
            partition_timestamps: true,
            ..publish(d, PublishKind::Replace, Scope::All, true, true)
        }),
        case("publish_merge_create", |d| {
            publish(d, PublishKind::Merge, match_scope(d, &KEYS), false, true)
        }),
        case("publish_replace", |d| {
            publish(d, PublishKind::Replace, Scope::All, false, false)
        }),
        case("publish_replace_partitioned", |d| {
            publish(d, PublishKind::Replace, Scope::All, true, false)
        }),
        case("publish_merge", |d| {
            publish(d, PublishKind::Merge, match_scope(d, &KEYS), false, false)
        }),
        case("publish_partitions_by_delta", |d| Publish {
            by_delta: true,
            ..publish(
                d,
                PublishKind::Partitions,
                match_scope(d, &[PARTITION]),
                true,
                false,
            )
        }),
        case("publish_partitions_match", |d| {
            publish(
                d,
                PublishKind::Partitions,
                match_scope(d, &[PARTITION]),
                true,
                false,
            )
        }),
        case("publish_partitions_range", |d| {
            publish(d, PublishKind::Partitions, range_scope(), true, false)
        }),
        case("append_changes", |d| AppendChanges {
            changes: rel(d).changes,
            delta: rel(d).delta,
            seq: 42,
        }),
        case("prepare_changes", |d| PrepareChanges {
            changes: rel(d).changes,
            delta: rel(d).delta,
            reset: false,
        }),
        case("prepare_changes_reset", |d| PrepareChanges {
            changes: rel(d).changes,
            delta: rel(d).delta,
            reset: true,
        }),
        case("prune_changes", |d| PruneChanges {
            changes: rel(d).changes,
            upto_seq: 41,
        }),
        case("drop_relations", |d| {
            let r = rel(d);
            DropRelations {
                tables: vec![r.stage, r.delta, r.keys],
            }
        }),
        case("create_view", |d| CreateView {
            target: Q::new(d).table(SCHEMA, "orders_view"),
            select: rel(d).select,
        }),
        case("drop_view", |d| DropView {
            view: Q::new(d).table(SCHEMA, "orders_view"),
        }),
        // The run lease; the holder's host and target are hostile values.
        case("create_lease_table", |_| CreateLeaseTable),
        case("acquire_lease", |_| AcquireLease {
            name: "pushdown".into(),
            run_id: "run-1".into(),
            host: HOSTILE.into(),
            pid: 4242,
            command: "run".into(),
            target: HOSTILE.into(),
            ttl_seconds: 120,
        }),
        case("read_lease", |_| ReadLease {
            name: "pushdown".into(),
        }),
        case("renew_lease", |_| RenewLease {
            name: "pushdown".into(),
            run_id: "run-1".into(),
            ttl_seconds: 120,
        }),
        case("release_lease", |_| ReleaseLease {
            name: "pushdown".into(),
            run_id: HOSTILE.into(),
        }),
    ]
}

fn parse(d: Dialect, sql: &str) -> Result<usize, String> {
    let parsed = match d {
        Dialect::DuckDb => Parser::parse_sql(&DuckDbDialect {}, sql),
        Dialect::Snowflake => Parser::parse_sql(&SnowflakeDialect {}, sql),
        Dialect::BigQuery => Parser::parse_sql(&BigQueryDialect {}, sql),
    };
    parsed.map(|s| s.len()).map_err(|e| e.to_string())
}

fn templates_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sql_templates")
}

fn sql_files(folder: &str) -> BTreeSet<String> {
    std::fs::read_dir(templates_dir().join(folder))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect()
}

/// Each context binds one file per dialect: the dialect's own
/// (`sql_templates/<dialect>/x.sql`) where its SQL differs, else the shared
/// one (`sql_templates/common/x.sql`). No copy sits unused beside a binding,
/// no shared file repeats a dialect's, and every file but the macros is bound.
#[test]
fn every_context_has_a_template_in_every_dialect() {
    let mut bound: BTreeSet<String> = BTreeSet::new();
    for files in TEMPLATE_FILES {
        let stems: BTreeSet<&str> = files.iter().map(|f| f.split_once('/').unwrap().1).collect();
        assert_eq!(stems.len(), 1, "one context, several files: {files:?}");
        for (d, f) in Dialect::ALL.iter().zip(files) {
            let (folder, name) = f.split_once('/').unwrap();
            assert!(
                folder == d.name() || folder == "common",
                "{f} bound for {} from the wrong folder",
                d.name()
            );
            assert!(templates_dir().join(f).is_file(), "{f} missing");
            if folder == "common" {
                assert!(
                    !templates_dir().join(d.name()).join(name).exists(),
                    "{}/{name} exists but {} renders {f}",
                    d.name(),
                    d.name()
                );
            }
            bound.insert(f.to_string());
        }
    }
    let mut unbound = Vec::new();
    for folder in ["common", "duckdb", "snowflake", "bigquery"] {
        for n in sql_files(folder) {
            if !n.starts_with('_') && !bound.contains(&format!("{folder}/{n}")) {
                unbound.push(format!("{folder}/{n}"));
            }
        }
    }
    assert!(
        unbound.is_empty(),
        "template files no context renders: {unbound:?}"
    );
    // A shared file that a dialect would render the same from its own
    // folder is a copy: keep one.
    for files in TEMPLATE_FILES {
        for (i, a) in files.iter().enumerate() {
            for b in &files[i + 1..] {
                if a != b {
                    let (ta, tb) = (
                        std::fs::read(templates_dir().join(a)).unwrap(),
                        std::fs::read(templates_dir().join(b)).unwrap(),
                    );
                    assert!(ta != tb, "{a} and {b} are the same: share one in common/");
                }
            }
        }
    }
}

#[test]
fn every_context_has_a_case() {
    let covered: BTreeSet<String> = cases().iter().map(|c| format!("{}.sql", c.file)).collect();
    let missing: Vec<_> = TEMPLATE_FILES
        .iter()
        .map(|f| f[0].split_once('/').unwrap().1)
        .filter(|f| !covered.contains(*f))
        .collect();
    assert!(
        missing.is_empty(),
        "contexts without a snapshot case: {missing:?}"
    );
    let mut names = BTreeSet::new();
    for c in cases() {
        assert!(names.insert(c.name), "two cases named {}", c.name);
    }
}

#[test]
fn snapshots() {
    for d in Dialect::ALL {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(d.name());
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            for c in cases() {
                let sql = (c.render)(d).join("\n;\n");
                insta::assert_snapshot!(c.name, sql);
            }
        });
    }
}

/// Every snapshot file belongs to a case and a dialect (a renamed or removed
/// case leaves none behind).
#[test]
fn no_stale_snapshots() {
    let expected: BTreeSet<String> = cases()
        .iter()
        .flat_map(|c| Dialect::ALL.map(|d| format!("{}@{}.snap", c.name, d.name())))
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let stale: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".snap") && !expected.contains(n))
        .collect();
    assert!(stale.is_empty(), "snapshots of no case: {stale:?}");
}

#[test]
fn rendered_sql_parses() {
    let mut failures = Vec::new();
    let mut used = BTreeSet::new();
    for c in cases() {
        for d in Dialect::ALL {
            for stmt in (c.render)(d) {
                let sql = if RELATION_FRAGMENTS.contains(&c.file.as_str()) {
                    format!("SELECT * FROM {stmt} AS _f")
                } else {
                    stmt.clone()
                };
                let at = format!("{}@{}", c.name, d.name());
                let exempt = UNPARSEABLE.iter().position(|(file, dialect, start, _)| {
                    *file == c.file && *dialect == d && stmt.starts_with(start)
                });
                let script = SCRIPTS.contains(&(c.file.as_str(), d));
                match (parse(d, &sql), exempt) {
                    (Ok(1), None) => {}
                    (Ok(n), None) if script && n > 1 => {}
                    (Ok(n), None) => failures.push(format!(
                        "{at}: parsed as {n} statements, expected one:\n{stmt}"
                    )),
                    (Err(e), None) => failures.push(format!("{at}: {e}\n{stmt}")),
                    (Ok(_), Some(i)) => failures.push(format!(
                        "{at}: listed in UNPARSEABLE ({}) but sqlparser parses it now; drop the entry",
                        UNPARSEABLE[i].3
                    )),
                    (Err(_), Some(i)) => {
                        used.insert(i);
                    }
                }
            }
        }
    }
    for (i, (file, d, start, _)) in UNPARSEABLE.iter().enumerate() {
        if !used.contains(&i) {
            failures.push(format!(
                "UNPARSEABLE entry {file}@{} `{start}` matches no rendered statement",
                d.name()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The hostile literal never leaves its quotes: rendered in each dialect,
/// the statement still parses as one statement (checked above) and the value
/// appears only in its escaped form.
#[test]
fn literals_stay_literals() {
    for d in Dialect::ALL {
        let quoted = Q::new(d).str(HOSTILE);
        let sql = FinishRun {
            run_id: "run-1".into(),
            status: "failed".into(),
            ended_at: ts("2024-03-05 06:07:09"),
            error: Some(HOSTILE.into()),
        }
        .render(d)
        .join("\n");
        assert!(sql.contains(&quoted), "{}: {sql}", d.name());
        assert_eq!(
            sql.matches("DROP TABLE t").count(),
            1,
            "{}: the value appears once, inside its literal",
            d.name()
        );
        assert_eq!(parse(d, &sql), Ok(1), "{}: {sql}", d.name());
    }
}
