//! The sandbox's SQLite store: one writer connection, a few readers (WAL lets reads run
//! beside a write), every call blocking and meant to run off the async threads.

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, ToSql, params};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

const READERS: usize = 4;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS dnc (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    phone_code INTEGER NOT NULL,
    phone_number TEXT NOT NULL,
    campaign_id INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    purpose TEXT NOT NULL DEFAULT '',
    insert_date TEXT NOT NULL,
    insert_day TEXT GENERATED ALWAYS AS (substr(insert_date, 1, 10)) VIRTUAL,
    UNIQUE (phone_code, phone_number, campaign_id)
);
-- The state reader narrows a scope past the offset cap by day, then by phone code. With every
-- column of an index fixed by equality its rows come in id order, so each narrowing has its
-- own index and a page `ORDER BY id LIMIT n OFFSET m` walks it (SQLite picks an index that
-- needs no sort over one that matches more columns: without dnc_campaign_day a day's page
-- would scan the whole campaign).
CREATE INDEX IF NOT EXISTS dnc_campaign ON dnc (campaign_id);
CREATE INDEX IF NOT EXISTS dnc_campaign_day ON dnc (campaign_id, insert_day);
CREATE INDEX IF NOT EXISTS dnc_campaign_day_code ON dnc (campaign_id, insert_day, phone_code);
CREATE INDEX IF NOT EXISTS dnc_campaign_second ON dnc (campaign_id, insert_date);
-- Earlier layouts: the planner preferred them to the day indexes above.
DROP INDEX IF EXISTS dnc_campaign_code;
DROP INDEX IF EXISTS dnc_campaign_code_day;
CREATE INDEX IF NOT EXISTS dnc_number ON dnc (phone_number);
-- Where search entries do not show reasons, dnc counts a scope's blank and non-blank ones.
CREATE INDEX IF NOT EXISTS dnc_campaign_reason ON dnc (campaign_id, reason);
CREATE INDEX IF NOT EXISTS dnc_campaign_purpose ON dnc (campaign_id, purpose);
";

/// One stored entry, as the store hands it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub id: i64,
    pub phone_code: u16,
    pub phone_number: String,
    pub campaign_id: i64,
    pub reason: String,
    pub purpose: String,
    pub insert_date: String,
}

/// What an insert or an update writes.
#[derive(Clone, Debug)]
pub struct NewRow {
    pub phone_code: u16,
    pub phone_number: String,
    pub campaign_id: i64,
    pub reason: String,
    pub purpose: String,
    pub insert_date: String,
}

/// Why a write did not happen.
#[derive(Debug)]
pub enum WriteError<E> {
    /// The key `(phone_code, phone_number, campaign_id)` is taken.
    Duplicate,
    NotFound,
    /// The caller's own check refused the change.
    Refused(E),
    Db(rusqlite::Error),
}

impl<E> From<rusqlite::Error> for WriteError<E> {
    fn from(e: rusqlite::Error) -> Self {
        if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) {
            WriteError::Duplicate
        } else {
            WriteError::Db(e)
        }
    }
}

/// A text filter on `reason` or `purpose`.
#[derive(Clone, Debug)]
pub enum Text {
    Blank,
    NotBlank,
    Exact(String),
}

/// A date filter: the whole day, or one exact second.
#[derive(Clone, Debug)]
pub enum Date {
    Day(String),
    Second(String),
}

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub phone_code: Option<u16>,
    pub phone_number: Option<String>,
    pub insert_date: Option<Date>,
    pub reason: Option<Text>,
    pub purpose: Option<Text>,
}

pub struct Store {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Reader>>,
    next_reader: AtomicUsize,
}

/// Most filters a reader remembers the total of.
const CACHED_COUNTS: usize = 4096;

/// A read connection, and the totals it counted: a client paging through one filter asks
/// for the same total on every page, and counting 100,000 matches costs more than the page.
struct Reader {
    conn: Connection,
    /// Filter (as `Debug` text) -> (`PRAGMA data_version` when counted, total).
    counts: HashMap<String, (i64, u64)>,
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Opens (creating if needed) the database file and its schema.
fn open_with_schema(path: &Path) -> rusqlite::Result<Connection> {
    let conn = open(path)?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: r.get(0)?,
        phone_code: r.get(1)?,
        phone_number: r.get(2)?,
        campaign_id: r.get(3)?,
        reason: r.get(4)?,
        purpose: r.get(5)?,
        insert_date: r.get(6)?,
    })
}

const COLUMNS: &str = "id, phone_code, phone_number, campaign_id, reason, purpose, insert_date";

impl Store {
    pub fn open(path: &Path) -> rusqlite::Result<Store> {
        let writer = open_with_schema(path)?;
        let readers = (0..READERS)
            .map(|_| {
                open(path).map(|conn| {
                    Mutex::new(Reader {
                        conn,
                        counts: HashMap::new(),
                    })
                })
            })
            .collect::<rusqlite::Result<_>>()?;
        Ok(Store {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written: the
        // transaction rolls back on drop. So a poisoned lock is still usable.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Reader> {
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        self.readers[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn insert(&self, row: &NewRow) -> Result<i64, WriteError<std::convert::Infallible>> {
        let conn = self.writer();
        let mut stmt = conn.prepare_cached(
            "INSERT INTO dnc (phone_code, phone_number, campaign_id, reason, purpose, insert_date)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        stmt.execute(params![
            row.phone_code,
            row.phone_number,
            row.campaign_id,
            row.reason,
            row.purpose,
            row.insert_date
        ])?;
        Ok(conn.last_insert_rowid())
    }

    /// Updates entry `id` with what `change` makes of it, in one transaction.
    pub fn update<E>(
        &self,
        id: i64,
        change: impl FnOnce(Row) -> Result<NewRow, E>,
    ) -> Result<(), WriteError<E>> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let current = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM dnc WHERE id = ?1"),
                [id],
                read_row,
            )
            .optional()?
            .ok_or(WriteError::NotFound)?;
        let new = change(current).map_err(WriteError::Refused)?;
        tx.execute(
            "UPDATE dnc SET phone_code = ?2, phone_number = ?3, campaign_id = ?4,
                            reason = ?5, purpose = ?6 WHERE id = ?1",
            params![
                id,
                new.phone_code,
                new.phone_number,
                new.campaign_id,
                new.reason,
                new.purpose
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn delete(
        &self,
        phone_code: u16,
        phone_number: &str,
        campaign_id: i64,
    ) -> Result<(), WriteError<std::convert::Infallible>> {
        let conn = self.writer();
        let mut stmt = conn.prepare_cached(
            "DELETE FROM dnc WHERE phone_code = ?1 AND phone_number = ?2 AND campaign_id = ?3",
        )?;
        match stmt.execute(params![phone_code, phone_number, campaign_id])? {
            0 => Err(WriteError::NotFound),
            _ => Ok(()),
        }
    }

    /// Counts every match and returns one page of them in id order.
    pub fn search(
        &self,
        filter: &Filter,
        offset: u64,
        limit: u64,
    ) -> rusqlite::Result<(u64, Vec<Row>)> {
        let (clause, args) = where_clause(filter);
        let args: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let mut reader = self.reader();
        let Reader { conn, counts } = &mut *reader;
        // One read transaction, so the total and the page see the same snapshot.
        conn.execute_batch("BEGIN")?;
        let result = (|| {
            let mut page_args = args.clone();
            let (limit, offset) = (limit as i64, offset as i64);
            page_args.push(&limit);
            page_args.push(&offset);
            // The page first: it opens the snapshot that `data_version` then describes.
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM dnc{clause} ORDER BY id LIMIT ? OFFSET ?"
            ))?;
            let rows = stmt
                .query_map(page_args.as_slice(), read_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let version: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
            let key = format!("{filter:?}");
            let total = match counts.get(&key) {
                Some(&(v, total)) if v == version => total,
                _ => {
                    let total: i64 = conn
                        .prepare_cached(&format!("SELECT COUNT(*) FROM dnc{clause}"))?
                        .query_row(args.as_slice(), |r| r.get(0))?;
                    if counts.len() >= CACHED_COUNTS {
                        counts.clear();
                    }
                    counts.insert(key, (version, total as u64));
                    total as u64
                }
            };
            Ok((total, rows))
        })();
        conn.execute_batch("COMMIT")?;
        result
    }
}

fn where_clause(f: &Filter) -> (String, Vec<Box<dyn ToSql>>) {
    let mut parts = Vec::new();
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let mut eq = |column: &str, value: Box<dyn ToSql>| {
        parts.push(format!("{column} = ?"));
        args.push(value);
    };
    if let Some(id) = f.id {
        eq("id", Box::new(id));
    }
    if let Some(c) = f.campaign_id {
        eq("campaign_id", Box::new(c));
    }
    if let Some(c) = f.phone_code {
        eq("phone_code", Box::new(c));
    }
    if let Some(n) = &f.phone_number {
        eq("phone_number", Box::new(n.clone()));
    }
    match &f.insert_date {
        Some(Date::Day(d)) => eq("insert_day", Box::new(d.clone())),
        Some(Date::Second(s)) => eq("insert_date", Box::new(s.clone())),
        None => {}
    }
    for (column, text) in [("reason", &f.reason), ("purpose", &f.purpose)] {
        match text {
            Some(Text::Blank) => parts.push(format!("{column} = ''")),
            Some(Text::NotBlank) => parts.push(format!("{column} <> ''")),
            Some(Text::Exact(v)) => {
                parts.push(format!("{column} = ?"));
                args.push(Box::new(v.clone()));
            }
            None => {}
        }
    }
    let clause = if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    };
    (clause, args)
}

/// Loads `rows` into the database at `path` in one transaction, skipping keys already
/// present; returns how many were added.
pub fn bulk_load(path: &Path, rows: impl IntoIterator<Item = NewRow>) -> rusqlite::Result<u64> {
    let mut conn = open_with_schema(path)?;
    let tx = conn.transaction()?;
    let mut added = 0;
    {
        let mut stmt = tx.prepare(
            "INSERT OR IGNORE INTO dnc
                 (phone_code, phone_number, campaign_id, reason, purpose, insert_date)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for r in rows {
            added += stmt.execute(params![
                r.phone_code,
                r.phone_number,
                r.campaign_id,
                r.reason,
                r.purpose,
                r.insert_date
            ])? as u64;
        }
    }
    tx.commit()?;
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: u32) -> NewRow {
        NewRow {
            phone_code: 1,
            phone_number: format!("202555{n:04}"),
            campaign_id: 0,
            reason: String::new(),
            purpose: String::new(),
            insert_date: "2026-03-03 10:30:00".into(),
        }
    }

    #[test]
    fn cached_totals_follow_every_write() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let store = Store::open(&db).unwrap();
        let filter = Filter {
            campaign_id: Some(0),
            ..Filter::default()
        };
        let mut want = 0;
        for n in 0..10 {
            // Every reader has counted before the next write.
            for _ in 0..READERS {
                assert_eq!(store.search(&filter, 0, 1).unwrap().0, want);
            }
            if n % 2 == 0 {
                store.insert(&row(n)).unwrap();
            } else {
                // A write from another connection, as `seed` makes.
                bulk_load(&db, [row(n)]).unwrap();
            }
            want += 1;
        }
        store.delete(1, "2025550000", 0).unwrap();
        for _ in 0..READERS {
            assert_eq!(store.search(&filter, 0, 1).unwrap().0, want - 1);
        }
    }

    /// Each narrowing the state reader makes past the offset cap pages through its own index;
    /// a day's page that scanned its whole campaign made a million-entry read take minutes.
    #[test]
    fn reader_splits_page_through_their_index() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_with_schema(&dir.path().join("x.db")).unwrap();
        let day = || Some(Date::Day("2026-03-03".into()));
        let cases = [
            (
                Filter {
                    campaign_id: Some(0),
                    ..Filter::default()
                },
                "dnc_campaign ",
            ),
            (
                Filter {
                    campaign_id: Some(0),
                    insert_date: day(),
                    ..Filter::default()
                },
                "dnc_campaign_day ",
            ),
            (
                Filter {
                    campaign_id: Some(0),
                    insert_date: day(),
                    phone_code: Some(1),
                    reason: Some(Text::Blank),
                    ..Filter::default()
                },
                "dnc_campaign_day_code ",
            ),
        ];
        for (filter, index) in cases {
            let (clause, args) = where_clause(&filter);
            let args: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
            let sql = format!(
                "EXPLAIN QUERY PLAN SELECT {COLUMNS} FROM dnc{clause} ORDER BY id LIMIT 1000 OFFSET 0"
            );
            let plan: Vec<String> = conn
                .prepare(&sql)
                .unwrap()
                .query_map(args.as_slice(), |r| r.get(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let plan = plan.join("; ");
            assert!(
                plan.contains(&format!("USING INDEX {index}")),
                "{filter:?}: {plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "{filter:?} sorts: {plan}");
        }
    }
}
