//! Dependencies between models, read from the SQL itself.
//!
//! Each model's SELECT is parsed (sqlparser, DuckDB dialect: the most
//! permissive of the three for the SELECTs people write) and every
//! `schema.table` it reads becomes an edge: to another model, or to a raw
//! source (`raw.<source>`). Reading a relation pushdown does not manage is an
//! error, as is a cycle; both name the models involved. The byte span of each
//! reference is kept so the engine can substitute a relation (for example the
//! changed rows of an upstream) without rewriting the author's SQL.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use sqlparser::ast::{ObjectNamePart, Spanned, visit_relations};
use sqlparser::dialect::DuckDbDialect;
use sqlparser::parser::Parser;

use super::model::{CheckKind, Model};
use crate::config::{Source, suggest};
use crate::error::ConfigProblem;

/// A relation read by a model: `raw.<source>` or another model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `schema.name`, lower-cased.
    pub target: String,
    /// Byte range of the reference within the model's SQL.
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone)]
pub struct Dag {
    /// Models in an order where every model comes after what it reads.
    pub models: Vec<Model>,
    pub refs: BTreeMap<String, Vec<Reference>>,
    /// Direct upstreams of each model (models and `raw.<source>`).
    pub upstream: BTreeMap<String, BTreeSet<String>>,
}

pub fn raw_id(source: &str) -> String {
    format!("raw.{source}")
}

impl Dag {
    pub fn build(models: Vec<Model>, sources: &[Source], problems: &mut Vec<ConfigProblem>) -> Dag {
        let model_ids: BTreeSet<String> = models.iter().map(|m| m.id()).collect();
        let source_ids: BTreeSet<String> = sources.iter().map(|s| raw_id(&s.name)).collect();
        let known: Vec<&str> = model_ids
            .iter()
            .chain(&source_ids)
            .map(String::as_str)
            .collect();
        let mut refs = BTreeMap::new();
        let mut upstream: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for m in &models {
            let id = m.id();
            let found = match references(&m.sql) {
                Ok(r) => r,
                Err(e) => {
                    problems.push(ConfigProblem {
                        file: m.file.clone(),
                        line: Some(m.sql_line),
                        field: None,
                        message: format!("cannot parse the SELECT: {e}"),
                    });
                    continue;
                }
            };
            let mut ups = BTreeSet::new();
            for r in &found {
                if r.target == id {
                    problems.push(ConfigProblem {
                        file: m.file.clone(),
                        line: Some(m.sql_line),
                        field: None,
                        message: format!("model `{id}` reads itself"),
                    });
                } else if model_ids.contains(&r.target) || source_ids.contains(&r.target) {
                    ups.insert(r.target.clone());
                } else {
                    let line = m.sql_line + m.sql[..r.start].matches('\n').count();
                    let hint = suggest(&r.target, &known)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    problems.push(ConfigProblem {
                        file: m.file.clone(),
                        line: Some(line),
                        field: None,
                        message: format!(
                            "`{}` is neither a model nor a raw source of this project{hint}",
                            r.target
                        ),
                    });
                }
            }
            for c in &m.checks {
                if let CheckKind::Relationships { to, .. } = &c.kind {
                    if model_ids.contains(to) {
                        ups.insert(to.clone());
                    } else if !source_ids.contains(to) {
                        problems.push(ConfigProblem {
                            file: m.file.clone(),
                            line: None,
                            field: Some(format!("checks.{}", c.name)),
                            message: format!(
                                "relationships check refers to `{to}`, which is not a model"
                            ),
                        });
                    }
                }
            }
            for up in m.upstream.keys() {
                if !ups.contains(up) {
                    problems.push(ConfigProblem {
                        file: m.file.clone(),
                        line: None,
                        field: Some(format!("upstream.\"{up}\"")),
                        message: format!("`{up}` is not read by this model's SELECT"),
                    });
                }
            }
            refs.insert(id.clone(), found);
            upstream.insert(id, ups);
        }
        for m in &models {
            for (up, via) in &m.upstream {
                if via.grain && m.unique_key != [via.column.clone()] {
                    problems.push(ConfigProblem {
                        file: m.file.clone(),
                        line: None,
                        field: Some(format!("upstream.\"{up}\".grain")),
                        message: format!(
                            "`grain` says the model has a row per `{}` of `{up}`: the model's `unique_key` must be exactly [\"{}\"]",
                            via.column, via.column
                        ),
                    });
                }
                if via.valid_at.is_none() {
                    continue;
                }
                let scd2_key = models
                    .iter()
                    .find(|u| &u.id() == up)
                    .and_then(|u| u.scd2.as_ref())
                    .map(|s| s.surrogate_key.as_str());
                if scd2_key != Some(via.upstream_column.as_str()) {
                    problems.push(ConfigProblem {
                        file: m.file.clone(),
                        line: None,
                        field: Some(format!("upstream.\"{up}\".valid_at")),
                        message: format!(
                            "`valid_at` picks a version of an scd2 model by its surrogate key: `{up}` must be an scd2 model and `via` name its `surrogate_key`"
                        ),
                    });
                }
            }
        }
        let models = topo_sort(models, &upstream, problems);
        Dag {
            models,
            refs,
            upstream,
        }
    }

    pub fn model(&self, id: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.id() == id)
    }

    /// Models that read `id` directly.
    pub fn downstream(&self, id: &str) -> Vec<String> {
        self.upstream
            .iter()
            .filter(|(_, ups)| ups.contains(id))
            .map(|(m, _)| m.clone())
            .collect()
    }

    /// Resolves dbt-style selectors: `name` or `schema.name`, `+x` (x and
    /// everything it needs), `x+` (x and everything that reads it), `+x+`.
    pub fn select(&self, selectors: &[String]) -> Result<BTreeSet<String>, String> {
        if selectors.is_empty() {
            return Ok(self.models.iter().map(|m| m.id()).collect());
        }
        let mut out = BTreeSet::new();
        for sel in selectors
            .iter()
            .flat_map(|s| s.split([',', ' ']))
            .filter(|s| !s.is_empty())
        {
            let (up, rest) = sel.strip_prefix('+').map_or((false, sel), |r| (true, r));
            let (down, name) = rest.strip_suffix('+').map_or((false, rest), |r| (true, r));
            let matches: Vec<String> = self
                .models
                .iter()
                .map(|m| m.id())
                .filter(|id| id == name || id.split_once('.').is_some_and(|(_, n)| n == name))
                .collect();
            if matches.is_empty() {
                let ids: Vec<String> = self.models.iter().map(|m| m.id()).collect();
                let known: Vec<&str> = ids.iter().map(String::as_str).collect();
                return Err(format!(
                    "--select `{sel}` matches no model{}",
                    suggest(name, &known)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default()
                ));
            }
            for id in matches {
                out.insert(id.clone());
                if up {
                    self.walk(&id, &mut out, |d, m| {
                        d.upstream
                            .get(m)
                            .cloned()
                            .unwrap_or_default()
                            .into_iter()
                            .collect()
                    });
                }
                if down {
                    self.walk(&id, &mut out, |d, m| d.downstream(m));
                }
            }
        }
        out.retain(|id| self.model(id).is_some());
        Ok(out)
    }

    fn walk(
        &self,
        from: &str,
        out: &mut BTreeSet<String>,
        next: impl Fn(&Dag, &str) -> Vec<String>,
    ) {
        let mut stack = vec![from.to_string()];
        while let Some(m) = stack.pop() {
            for n in next(self, &m) {
                if out.insert(n.clone()) {
                    stack.push(n);
                }
            }
        }
    }
}

/// Every two- or three-part relation name in `sql`, with its byte span.
/// One-part names are CTEs or table functions and are not dependencies.
pub fn references(sql: &str) -> Result<Vec<Reference>, String> {
    let statements = Parser::parse_sql(&DuckDbDialect {}, sql).map_err(|e| e.to_string())?;
    if statements.len() != 1 {
        return Err(format!(
            "a model is exactly one SELECT, found {} statements",
            statements.len()
        ));
    }
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(sql.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |line: u64, column: u64| -> usize {
        let start = line_starts
            .get((line as usize).saturating_sub(1))
            .copied()
            .unwrap_or(sql.len());
        sql[start..]
            .char_indices()
            .nth((column as usize).saturating_sub(1))
            .map_or(sql.len(), |(i, _)| start + i)
    };
    let mut out = Vec::new();
    let _ = visit_relations(&statements, |name| {
        let parts: Vec<String> = name
            .0
            .iter()
            .filter_map(|p| match p {
                ObjectNamePart::Identifier(i) => Some(if i.quote_style.is_some() {
                    i.value.clone()
                } else {
                    i.value.to_lowercase()
                }),
                _ => None,
            })
            .collect();
        if parts.len() >= 2 {
            let span = name.span();
            let target = parts[parts.len() - 2..].join(".");
            let (start, end) = (
                offset(span.start.line, span.start.column),
                offset(span.end.line, span.end.column),
            );
            if !out.iter().any(|r: &Reference| r.start == start) {
                out.push(Reference { target, start, end });
            }
        }
        ControlFlow::<()>::Continue(())
    });
    out.sort_by_key(|r| r.start);
    Ok(out)
}

/// Replaces the references for which `with` returns a relation text.
pub fn substitute(
    sql: &str,
    refs: &[Reference],
    with: impl Fn(&Reference) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(sql.len() + 64);
    let mut at = 0;
    for r in refs {
        if let Some(text) = with(r) {
            out.push_str(&sql[at..r.start]);
            out.push_str(&text);
            at = r.end;
        }
    }
    out.push_str(&sql[at..]);
    out
}

fn topo_sort(
    models: Vec<Model>,
    upstream: &BTreeMap<String, BTreeSet<String>>,
    problems: &mut Vec<ConfigProblem>,
) -> Vec<Model> {
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut pending: Vec<Model> = models;
    let mut sorted = Vec::new();
    loop {
        let before = pending.len();
        let (ready, rest): (Vec<Model>, Vec<Model>) = pending.into_iter().partition(|m| {
            upstream.get(&m.id()).is_none_or(|ups| {
                ups.iter()
                    .all(|u| u.starts_with("raw.") || done.contains(u))
            })
        });
        for m in &ready {
            done.insert(m.id());
        }
        sorted.extend(ready);
        pending = rest;
        if pending.is_empty() {
            return sorted;
        }
        if pending.len() == before {
            let names: Vec<String> = pending.iter().map(|m| m.id()).collect();
            problems.push(ConfigProblem {
                file: pending[0].file.clone(),
                line: None,
                field: None,
                message: format!(
                    "these models depend on each other in a cycle: {}",
                    names.join(", ")
                ),
            });
            sorted.extend(pending);
            return sorted;
        }
    }
}

/// The output column names of a SELECT when its projection names them all
/// (no `*`); used to show statements offline.
pub fn projection_columns(sql: &str) -> Option<Vec<String>> {
    use sqlparser::ast::{Expr, SelectItem, SetExpr, Statement};
    let statements = Parser::parse_sql(&DuckDbDialect {}, sql).ok()?;
    let Statement::Query(query) = statements.first()? else {
        return None;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    select
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
            SelectItem::UnnamedExpr(Expr::Identifier(i)) => Some(i.value.clone()),
            SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => {
                parts.last().map(|i| i.value.clone())
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_with_spans() {
        let sql = "with x as (select * from raw.orders)\nselect * from x join ODS.\"Orders\" o on true, read_json('f')";
        let refs = references(sql).unwrap();
        let got: Vec<(&str, &str)> = refs
            .iter()
            .map(|r| (r.target.as_str(), &sql[r.start..r.end]))
            .collect();
        assert_eq!(
            got,
            vec![
                ("raw.orders", "raw.orders"),
                ("ods.Orders", "ODS.\"Orders\"")
            ]
        );
        let swapped = substitute(sql, &refs, |r| {
            (r.target == "raw.orders").then(|| "(select 1)".to_string())
        });
        assert!(
            swapped.starts_with("with x as (select * from (select 1))"),
            "{swapped}"
        );
    }
}
