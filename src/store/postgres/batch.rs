//! Writes whose results nobody reads, carried by the next statement that must go to the
//! server anyway: a check's effects (its session, its row, its pending ask, a written file)
//! ride as `WITH` parts of its audit append, one round trip instead of up to five. Data-
//! modifying statements in `WITH` run exactly once and to completion whether or not the main
//! statement reads them (PostgreSQL's rule), in the same transaction; a failure in any of them
//! fails the statement, and so the transaction, as it would have failed alone.

use postgres::types::ToSql;

/// A parameter owned by a deferred statement.
pub(crate) type Owned = Box<dyn ToSql + Sync + Send>;

/// `v` as an owned parameter.
pub(crate) fn owned<T: ToSql + Sync + Send + 'static>(v: T) -> Owned {
    Box::new(v)
}

/// One statement (`$1`… placeholders, no `$` in literals) and its parameters.
pub(crate) struct Stmt {
    pub(crate) sql: String,
    pub(crate) params: Vec<Owned>,
}

impl Stmt {
    /// The parameters as the client takes them.
    pub(crate) fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| &**p as &(dyn ToSql + Sync))
            .collect()
    }
}

/// Statements waiting for the next one that goes to the server.
#[derive(Default)]
pub(crate) struct Deferred {
    parts: Vec<Stmt>,
}

impl Deferred {
    /// Adds `s` after the others.
    pub(crate) fn push(&mut self, s: Stmt) {
        self.parts.push(s);
    }

    /// True when nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Everything waiting, leaving nothing.
    pub(crate) fn take(&mut self) -> Deferred {
        std::mem::take(self)
    }

    /// One statement running the waiting ones first (as `WITH` parts, in order), then `main`
    /// (which may begin with its own `WITH`) with `params`; `main` alone when nothing waits.
    pub(crate) fn before<'p>(
        &'p self,
        main: &str,
        params: &[&'p (dyn ToSql + Sync)],
    ) -> (String, Vec<&'p (dyn ToSql + Sync)>) {
        if self.parts.is_empty() {
            return (main.to_string(), params.to_vec());
        }
        let mut sql = String::from("WITH ");
        let mut all: Vec<&(dyn ToSql + Sync)> = Vec::new();
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("w{i} AS ("));
            sql.push_str(&renumber(&part.sql, all.len()));
            sql.push(')');
            all.extend(part.refs());
        }
        let main = renumber(main, all.len());
        match main.strip_prefix("WITH ") {
            Some(rest) => {
                sql.push_str(", ");
                sql.push_str(rest);
            }
            None => {
                sql.push(' ');
                sql.push_str(&main);
            }
        }
        all.extend_from_slice(params);
        (sql, all)
    }

    /// The waiting statements as one statement of their own (`None` when nothing waits).
    pub(crate) fn alone(&self) -> Option<(String, Vec<&(dyn ToSql + Sync)>)> {
        (!self.is_empty()).then(|| self.before("SELECT 1", &[]))
    }
}

/// `sql` with every placeholder `$n` renumbered to `$(n + by)`.
fn renumber(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut n = String::new();
        while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
            n.push(*d);
            chars.next();
        }
        match n.parse::<usize>() {
            Ok(v) => out.push_str(&(v + by).to_string()),
            Err(_) => out.push_str(&n),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(sql: &str, n: usize) -> Stmt {
        Stmt {
            sql: sql.into(),
            params: (0..n as i64).map(owned).collect(),
        }
    }

    #[test]
    fn placeholders_are_renumbered_past_the_earlier_parts() {
        assert_eq!(
            renumber("VALUES ($1, $2) SET a = $2, b = $10", 3),
            "VALUES ($4, $5) SET a = $5, b = $13"
        );
        assert_eq!(renumber("x = $1", 0), "x = $1");
        assert_eq!(renumber("a $ b $$", 2), "a $ b $$");
    }

    #[test]
    fn waiting_statements_become_with_parts_before_the_main_one() {
        let mut d = Deferred::default();
        assert!(d.alone().is_none());
        let (sql, params) = d.before("SELECT $1", &[&1i64]);
        assert_eq!((sql.as_str(), params.len()), ("SELECT $1", 1));
        d.push(stmt("INSERT INTO a VALUES ($1, $2)", 2));
        d.push(stmt(
            "INSERT INTO b VALUES ($1) ON CONFLICT (x) DO UPDATE SET y = $1",
            1,
        ));
        let (sql, params) = d.before(
            "WITH e AS (INSERT INTO c VALUES ($1)) SELECT $2",
            &[&1i64, &2i64],
        );
        assert_eq!(
            sql,
            "WITH w0 AS (INSERT INTO a VALUES ($1, $2)), w1 AS (INSERT INTO b VALUES ($3) \
             ON CONFLICT (x) DO UPDATE SET y = $3), e AS (INSERT INTO c VALUES ($4)) SELECT $5"
        );
        assert_eq!(params.len(), 5);
        let (sql, params) = d.alone().unwrap();
        assert!(sql.ends_with(") SELECT 1"), "{sql}");
        assert_eq!(params.len(), 3);
        assert!(!d.take().is_empty());
        assert!(d.is_empty());
    }
}
