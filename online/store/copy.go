package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// CopyReport is what Copy copied.
type CopyReport struct {
	// SchemaVersion is the schema version of both databases.
	SchemaVersion int
	// Tables are the tables in the order they were copied (every table
	// before the tables that refer to it), with their rows.
	Tables []TableRows
}

// TableRows is one table's number of rows.
type TableRows struct {
	Name string `json:"table"`
	Rows int64  `json:"rows"`
}

// Rows is the number of rows copied in all tables.
func (r CopyReport) Rows() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// ErrNotEmpty means a copy's destination holds rows already.
var ErrNotEmpty = errors.New("the destination database is not empty")

// Copy copies every row of the SQLite store src into dst (in practice a
// PostgreSQL database, so that several coordinators can share what one
// kept in its file), which must hold no row in any table. Both must be at
// the schema version this program writes: Open migrated dst to it, and
// src must already be there (open it with this program first).
//
// What is copied, and in which order, comes from src's schema: every
// table but schema_version, each before the tables that refer to it, its
// columns by name. src is read in one transaction, a consistent snapshot
// that also keeps writers out of the file meanwhile; Copy refuses while a
// lease in src (the serving coordinator's watcher lease) has not expired:
// stop the coordinator first. dst is written in one transaction, which
// also holds every table locked so that no coordinator started on dst
// meanwhile writes into it: its sequences (identity or serial columns, if
// any) are set past the copied values, then each table is read back and
// its row count and a digest of its rows must equal src's, else nothing
// is committed. Any failure leaves dst as it was.
func Copy(ctx context.Context, src, dst *Store) (CopyReport, error) {
	return copyStore(ctx, src, dst, nil)
}

// copyHook, when a test sets it, runs in dst's transaction at named
// stages: "table NAME" after the table's rows went in, "copied" before
// the verification.
type copyHook func(stage string, tx *sqlTx) error

func copyStore(ctx context.Context, src, dst *Store, hook copyHook) (CopyReport, error) {
	if src.db.dialect != dialectSQLite {
		return CopyReport{}, fmt.Errorf("store: copy from %s: only a SQLite store is copied (from one PostgreSQL database to another, use pg_dump)", src)
	}
	if src.db.raw == dst.db.raw || src.db.dialect == dst.db.dialect && src.name == dst.name {
		return CopyReport{}, fmt.Errorf("store: copy %s: the source and the destination are the same database", src)
	}
	rep, err := copyTx(ctx, src, dst, hook)
	if err != nil {
		return CopyReport{}, fmt.Errorf("store: copy %s to %s: %w", src, dst, err)
	}
	return rep, nil
}

// copyTable is a table as the copy sees it.
type copyTable struct {
	name string
	cols []string // src's column names, in src's order
	// dstName and dstCols are the same names as dst spells them: PostgreSQL
	// folds unquoted names to lower case.
	dstName string
	dstCols []string
	refs    []foreignKey
}

// foreignKey is one foreign key of a table: its columns from refer to the
// columns to of table.
type foreignKey struct {
	table    string
	from, to []string
}

// copyTx reads the source in one of its transactions: on SQLite an
// immediate one (dsnParams), which takes the file's write lock at BEGIN,
// so no write lands while it reads. inTx runs the copy again from the
// start should PostgreSQL abort the destination's transaction for a
// deadlock with a process that started on it meanwhile.
func copyTx(ctx context.Context, src, dst *Store, hook copyHook) (rep CopyReport, err error) {
	err = src.inTx(ctx, func(stx *sqlTx) error {
		rep, err = copyFrom(ctx, stx, dst, hook)
		return err
	})
	return rep, err
}

func copyFrom(ctx context.Context, stx *sqlTx, dst *Store, hook copyHook) (CopyReport, error) {
	version, err := schemaVersionIn(ctx, stx)
	if err != nil {
		return CopyReport{}, fmt.Errorf("reading the source's schema version: %w", err)
	}
	if version != SchemaVersion() {
		return CopyReport{}, fmt.Errorf("the source is at schema version %d and this program writes %d: open it with this program first (airsign-coordinator serve, or any command, migrates it), or copy with the program it was written by", version, SchemaVersion())
	}
	tables, err := sqliteTables(ctx, stx)
	if err != nil {
		return CopyReport{}, fmt.Errorf("reading the source's schema: %w", err)
	}
	tables, err = dependencyOrder(tables)
	if err != nil {
		return CopyReport{}, err
	}
	if err := leasesFree(ctx, stx, tables); err != nil {
		return CopyReport{}, err
	}

	// The migration lock keeps another process from migrating dst under
	// the copy; the table locks below keep coordinators out.
	dtx, err := dst.db.beginLocked(ctx, migrationLock, 0)
	if err != nil {
		return CopyReport{}, fmt.Errorf("beginning the destination's transaction: %w", err)
	}
	defer dtx.Rollback()
	if err := dstSchema(ctx, dtx, tables); err != nil {
		return CopyReport{}, err
	}
	if dv, err := schemaVersionIn(ctx, dtx); err != nil {
		return CopyReport{}, fmt.Errorf("reading the destination's schema version: %w", err)
	} else if dv != version {
		return CopyReport{}, fmt.Errorf("the destination is at schema version %d, the source at %d: give an empty database, which this program migrates", dv, version)
	}
	if err := checkEmpty(ctx, dtx); err != nil {
		return CopyReport{}, err
	}

	rep := CopyReport{SchemaVersion: version}
	digests := make([][]byte, len(tables))
	for i, t := range tables {
		n, sum, err := copyRows(ctx, stx, dtx, t)
		if err != nil {
			return CopyReport{}, fmt.Errorf("table %s: %w", t.name, err)
		}
		rep.Tables = append(rep.Tables, TableRows{Name: t.name, Rows: n})
		digests[i] = sum
		if hook != nil {
			if err := hook("table "+t.name, dtx); err != nil {
				return CopyReport{}, err
			}
		}
	}
	if err := setSequences(ctx, dtx, tables); err != nil {
		return CopyReport{}, err
	}
	if hook != nil {
		if err := hook("copied", dtx); err != nil {
			return CopyReport{}, err
		}
	}
	for i, t := range tables {
		n, sum, err := tableDigest(ctx, dtx, t.dstName, t.dstCols)
		if err != nil {
			return CopyReport{}, fmt.Errorf("reading table %s back: %w", t.name, err)
		}
		if n != rep.Tables[i].Rows || !bytes.Equal(sum, digests[i]) {
			return CopyReport{}, fmt.Errorf("table %s reads back as %d rows with digest %x, the source's %d rows have %x: the destination does not hold the same values, nothing was copied",
				t.name, n, sum[:8], rep.Tables[i].Rows, digests[i][:8])
		}
	}
	if err := dtx.Commit(); err != nil {
		return CopyReport{}, fmt.Errorf("committing the copy: %w", err)
	}
	return rep, nil
}

func schemaVersionIn(ctx context.Context, tx *sqlTx) (int, error) {
	var v int
	err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	return v, err
}

// quoteIdent quotes a table's or column's name for SQL.
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// sqliteTables reads a SQLite database's tables, their columns and
// foreign keys, but schema_version, which each side has of its own.
func sqliteTables(ctx context.Context, tx *sqlTx) ([]copyTable, error) {
	names, err := queryStrings(ctx, tx.rebound, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var tables []copyTable
	for _, name := range names {
		if name == "schema_version" {
			continue
		}
		t := copyTable{name: name}
		if t.cols, err = queryStrings(ctx, tx.rebound, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, name); err != nil {
			return nil, err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(?) ORDER BY id, seq`, name)
		if err != nil {
			return nil, err
		}
		last := -1
		for rows.Next() {
			var id int
			var ref, from string
			var to sql.NullString
			if err := rows.Scan(&id, &ref, &from, &to); err != nil {
				rows.Close()
				return nil, err
			}
			if id != last {
				t.refs = append(t.refs, foreignKey{table: ref})
				last = id
			}
			fk := &t.refs[len(t.refs)-1]
			fk.from = append(fk.from, from)
			fk.to = append(fk.to, to.String) // "" means the referenced table's primary key
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	// A key that names no columns refers to the primary key.
	for i := range tables {
		for j := range tables[i].refs {
			fk := &tables[i].refs[j]
			if !slices.Contains(fk.to, "") {
				continue
			}
			pk, err := queryStrings(ctx, tx.rebound, `SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, fk.table)
			if err != nil {
				return nil, err
			}
			if len(pk) != len(fk.from) {
				return nil, fmt.Errorf("table %s refers to %s's primary key, which has %d columns, with %d", tables[i].name, fk.table, len(pk), len(fk.from))
			}
			fk.to = pk
		}
	}
	return tables, nil
}

func queryStrings(ctx context.Context, q rebound, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// dependencyOrder sorts tables so that each comes after the tables it
// refers to, by name among those free to go next. A table that refers to
// itself is ordered row by row (copyRows).
func dependencyOrder(tables []copyTable) ([]copyTable, error) {
	byName := map[string]bool{}
	for _, t := range tables {
		byName[t.name] = true
	}
	done := map[string]bool{}
	var out []copyTable
	for len(out) < len(tables) {
		progress := false
		for _, t := range tables {
			if done[t.name] {
				continue
			}
			ready := true
			for _, fk := range t.refs {
				if !byName[fk.table] {
					return nil, fmt.Errorf("table %s refers to table %s, which the source does not have", t.name, fk.table)
				}
				if fk.table != t.name && !done[fk.table] {
					ready = false
				}
			}
			if ready {
				out = append(out, t)
				done[t.name] = true
				progress = true
			}
		}
		if !progress {
			var left []string
			for _, t := range tables {
				if !done[t.name] {
					left = append(left, t.name)
				}
			}
			return nil, fmt.Errorf("tables %s refer to each other in a cycle: no order copies them", strings.Join(left, ", "))
		}
	}
	return out, nil
}

// leasesFree refuses while a lease in the source has not expired by the
// database's clock: a coordinator is serving from it, and would go on
// writing into the file after the copy.
func leasesFree(ctx context.Context, tx *sqlTx, tables []copyTable) error {
	if !slices.ContainsFunc(tables, func(t copyTable) bool { return t.name == "leases" }) {
		return nil
	}
	var name, holder string
	var expires int64
	err := tx.QueryRowContext(ctx, `SELECT name, holder, expires FROM leases WHERE expires > `+dialectSQLite.nowNanos()+` ORDER BY name LIMIT 1`).
		Scan(&name, &holder, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the source's leases: %w", err)
	}
	return fmt.Errorf("a coordinator is running on the source: %s holds its %s lease until %s; stop it (serve ends on Ctrl-C or SIGTERM and gives the lease up), or if it died, wait until then, and copy again",
		holder, name, time.Unix(0, expires).UTC().Format(time.RFC3339))
}

// dstSchema finds each of the source's tables and their columns in the
// destination, by name as the destination spells it.
func dstSchema(ctx context.Context, tx *sqlTx, tables []copyTable) error {
	names, err := tableNames(ctx, tx)
	if err != nil {
		return fmt.Errorf("reading the destination's schema: %w", err)
	}
	for i := range tables {
		t := &tables[i]
		t.dstName = matchName(names, t.name)
		if t.dstName == "" {
			return fmt.Errorf("the destination has no table %s: it is not at the source's schema", t.name)
		}
		cols, err := columnNames(ctx, tx, t.dstName)
		if err != nil {
			return fmt.Errorf("reading the destination's columns of %s: %w", t.name, err)
		}
		if len(cols) != len(t.cols) {
			return fmt.Errorf("table %s has columns %s in the source, %s in the destination: they are not at the same schema",
				t.name, strings.Join(t.cols, ", "), strings.Join(cols, ", "))
		}
		t.dstCols = make([]string, len(t.cols))
		for j, c := range t.cols {
			if t.dstCols[j] = matchName(cols, c); t.dstCols[j] == "" {
				return fmt.Errorf("table %s has a column %s in the source and none in the destination: they are not at the same schema", t.name, c)
			}
		}
	}
	return nil
}

// matchName is the one of names equal to name but for case, "" if none.
func matchName(names []string, name string) string {
	if slices.Contains(names, name) {
		return name
	}
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return ""
}

// tableNames are the tables of the database tx is in: PostgreSQL's in the
// connection's schema.
func tableNames(ctx context.Context, tx *sqlTx) ([]string, error) {
	if tx.dialect == dialectPostgres {
		return queryStrings(ctx, tx.rebound, `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	}
	return queryStrings(ctx, tx.rebound, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
}

func columnNames(ctx context.Context, tx *sqlTx, table string) ([]string, error) {
	if tx.dialect == dialectPostgres {
		return queryStrings(ctx, tx.rebound, `SELECT column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, table)
	}
	return queryStrings(ctx, tx.rebound, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
}

// checkEmpty locks every table of the destination until the copy ends
// (on SQLite the transaction's write lock does) and refuses one that
// holds a row: the copy goes into an empty database only, so that what
// it holds after is the source's and nothing else.
func checkEmpty(ctx context.Context, tx *sqlTx) error {
	names, err := tableNames(ctx, tx)
	if err != nil {
		return fmt.Errorf("reading the destination's schema: %w", err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n == "schema_version" })
	if tx.dialect == dialectPostgres && len(names) > 0 {
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = quoteIdent(n)
		}
		// EXCLUSIVE lets others read, not write.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE `+strings.Join(quoted, ", ")+` IN EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("locking the destination's tables: %w", err)
		}
	}
	var full []string
	for _, n := range names {
		var has bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+quoteIdent(n)+`)`).Scan(&has); err != nil {
			return fmt.Errorf("reading the destination's table %s: %w", n, err)
		}
		if has {
			full = append(full, n)
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("%w: its tables %s hold rows; the copy goes into an empty database only (create a new one, e.g. createdb, and give its URL), so nothing was copied",
			ErrNotEmpty, strings.Join(full, ", "))
	}
	return nil
}

// copyRows inserts the source's rows of t into the destination, one by
// one, and returns how many and their digest. A table that refers to
// itself (a request to the one it replaces) is read whole, and each row
// goes in after the row it refers to.
func copyRows(ctx context.Context, stx, dtx *sqlTx, t copyTable) (int64, []byte, error) {
	selfRefs := slices.DeleteFunc(slices.Clone(t.refs), func(fk foreignKey) bool { return fk.table != t.name })
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ")
	quoted := make([]string, len(t.dstCols))
	for i, c := range t.dstCols {
		quoted[i] = quoteIdent(c)
	}
	insert := `INSERT INTO ` + quoteIdent(t.dstName) + ` (` + strings.Join(quoted, ", ") + `) VALUES (` + marks + `)`
	put := func(row []any, n int64) error {
		if _, err := dtx.ExecContext(ctx, insert, row...); err != nil {
			return fmt.Errorf("row %d: the destination refused it: %w", n+1, err)
		}
		return nil
	}

	d := newDigest(t.cols)
	var pending [][]any
	err := eachRow(ctx, stx.rebound, t.name, t.cols, func(row []any) error {
		d.add(row)
		if len(selfRefs) > 0 {
			pending = append(pending, row)
			return nil
		}
		return put(row, d.n-1)
	})
	if err != nil || len(pending) == 0 {
		return d.n, d.sum(), err
	}

	// Rows of a self-referring table: each pass inserts the rows whose
	// references are NULL, to themselves, or to a row inserted already.
	col := func(name string) int { return slices.Index(t.cols, name) }
	key := func(row []any, cols []string) (string, bool) {
		var b bytes.Buffer
		for _, c := range cols {
			v := row[col(c)]
			if v == nil {
				return "", false
			}
			writeValue(&b, v)
		}
		return b.String(), true
	}
	inserted := map[string]bool{} // "fk index/key"
	var n int64
	for len(pending) > 0 {
		var next [][]any
		for _, row := range pending {
			ready := true
			for i, fk := range selfRefs {
				k, ok := key(row, fk.from)
				own, _ := key(row, fk.to)
				if ok && k != own && !inserted[fmt.Sprint(i, "/", k)] {
					ready = false
				}
			}
			if !ready {
				next = append(next, row)
				continue
			}
			if err := put(row, n); err != nil {
				return 0, nil, err
			}
			n++
			for i, fk := range selfRefs {
				k, _ := key(row, fk.to)
				inserted[fmt.Sprint(i, "/", k)] = true
			}
		}
		if len(next) == len(pending) {
			return 0, nil, fmt.Errorf("%d rows refer to rows of the table that are not in it, or to each other in a cycle", len(next))
		}
		pending = next
	}
	return d.n, d.sum(), nil
}

// eachRow calls fn with each row of the table, the columns in cols'
// order, as the driver gives them: nil, int64, float64, string or []byte.
func eachRow(ctx context.Context, q rebound, table string, cols []string, fn func([]any) error) error {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quoteIdent(c)
	}
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM `+quoteIdent(table))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range row {
			// The SQLite driver gives an empty blob as a nil []byte,
			// which pgx would write as NULL.
			if b, ok := v.([]byte); ok && b == nil {
				row[i] = []byte{}
			}
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return rows.Err()
}

// setSequences moves each PostgreSQL sequence that numbers a column (an
// identity or serial column) past the largest value copied into it, so
// that the next row the database numbers does not take a copied one's.
// SQLite numbers an INTEGER PRIMARY KEY from the largest present itself.
func setSequences(ctx context.Context, tx *sqlTx, tables []copyTable) error {
	if tx.dialect != dialectPostgres {
		return nil
	}
	for _, t := range tables {
		for _, c := range t.dstCols {
			var seq sql.NullString
			if err := tx.QueryRowContext(ctx, `SELECT pg_get_serial_sequence(?, ?)`, quoteIdent(t.dstName), c).Scan(&seq); err != nil {
				return fmt.Errorf("finding the sequence of %s.%s: %w", t.name, c, err)
			}
			if !seq.Valid {
				continue
			}
			// setval(seq, max, true): the next value is max+1. An empty
			// table leaves the sequence at its start.
			if _, err := tx.ExecContext(ctx, `SELECT setval(CAST(? AS text)::regclass, m, true) FROM (SELECT max(`+quoteIdent(c)+`) AS m FROM `+quoteIdent(t.dstName)+`) AS x WHERE m IS NOT NULL`, seq.String); err != nil {
				return fmt.Errorf("setting the sequence of %s.%s past the copied rows: %w", t.name, c, err)
			}
		}
	}
	return nil
}

// tableDigest reads a table back and returns its rows' number and digest.
func tableDigest(ctx context.Context, tx *sqlTx, table string, cols []string) (int64, []byte, error) {
	d := newDigest(cols)
	err := eachRow(ctx, tx.rebound, table, cols, func(row []any) error {
		d.add(row)
		return nil
	})
	return d.n, d.sum(), err
}

// digest is a digest of a table's rows that does not depend on the order
// the database returns them in (citext and NOCASE sort a payee's name
// differently): SHA-256 over the sorted SHA-256 of each row, each value
// written with its type, so that NULL, an empty string, an empty blob and
// 0 all differ, and so do a text and a blob of the same bytes.
type digest struct {
	cols []string
	n    int64
	rows [][sha256.Size]byte
}

func newDigest(cols []string) *digest { return &digest{cols: cols} }

func (d *digest) add(row []any) {
	var b bytes.Buffer
	for _, v := range row {
		writeValue(&b, v)
	}
	d.rows = append(d.rows, sha256.Sum256(b.Bytes()))
	d.n++
}

func (d *digest) sum() []byte {
	sort.Slice(d.rows, func(i, j int) bool { return bytes.Compare(d.rows[i][:], d.rows[j][:]) < 0 })
	h := sha256.New()
	fmt.Fprintf(h, "%d columns: %s\n", len(d.cols), strings.ToLower(strings.Join(d.cols, ",")))
	for _, r := range d.rows {
		h.Write(r[:])
	}
	return h.Sum(nil)
}

// writeValue writes v with its type and, for text and blobs, its length.
func writeValue(b *bytes.Buffer, v any) {
	var n [8]byte
	switch v := v.(type) {
	case nil:
		b.WriteByte('N')
	case int64:
		b.WriteByte('I')
		binary.BigEndian.PutUint64(n[:], uint64(v))
		b.Write(n[:])
	case float64:
		b.WriteByte('F')
		binary.BigEndian.PutUint64(n[:], math.Float64bits(v))
		b.Write(n[:])
	case string:
		b.WriteByte('T')
		binary.BigEndian.PutUint64(n[:], uint64(len(v)))
		b.Write(n[:])
		b.WriteString(v)
	case []byte:
		b.WriteByte('B')
		binary.BigEndian.PutUint64(n[:], uint64(len(v)))
		b.Write(n[:])
		b.Write(v)
	default:
		// Another type (a time, a boolean) than the schema's columns hold
		// is not the same value as anything of those.
		fmt.Fprintf(b, "?%T:%v", v, v)
	}
}

// CheckEmpty refuses the PostgreSQL database at where if a table in it
// (but schema_version) holds a row, as Copy does, but before Open
// migrates it: a copy given the wrong database stops before it adds the
// schema's tables there.
func CheckEmpty(ctx context.Context, where string) error {
	name := RedactURL(where)
	cfg, err := pgx.ParseConfig(where)
	if err != nil || !IsPostgresURL(where) {
		return fmt.Errorf("store: %s: not a PostgreSQL URL that parses; write it as postgres://user:password@host:port/database?sslmode=...", name)
	}
	db := newSQLDB(stdlib.OpenDB(*cfg), dialectPostgres)
	defer db.Close()
	// Under the migration lock, so that no coordinator migrates the
	// database while it is looked at; rolled back, it writes nothing.
	tx, err := db.beginLocked(ctx, migrationLock, 0)
	if err != nil {
		return fmt.Errorf("store: %s: cannot reach the database (is the server running, and the user, password and database right?): %w", name, err)
	}
	defer tx.Rollback()
	if err := checkEmpty(ctx, tx); err != nil {
		return fmt.Errorf("store: %s: %w", name, err)
	}
	return nil
}

// AuditRows is the number of rows of the store's audit_log table: on
// SQLite none, unless something other than the coordinator put them there
// (its log beside a SQLite store is in files).
func (s *Store) AuditRows(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: audit rows of %s: %w", s, err)
	}
	return n, nil
}
