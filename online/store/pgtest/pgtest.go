// Package pgtest runs a throwaway PostgreSQL server for tests: initdb and
// postgres from the Debian package (or PATH) in a temporary folder, as a
// user other than root, listening only on a unix socket in that folder.
// A test binary starts one server (Shared) and gives each test a fresh
// database on it.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// ErrUnavailable means no PostgreSQL server binaries were found.
var ErrUnavailable = errors.New("PostgreSQL not found: install Debian's postgresql package (make deps) or put initdb and postgres on PATH")

// requireEnv, when set, turns a missing PostgreSQL into a test failure
// instead of a skip, as CI wants.
const requireEnv = "AIRSIGN_REQUIRE_TOOLS"

// Server is a running PostgreSQL server.
type Server struct {
	dir    string // holds data/ and the socket
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	admin  *sql.DB
	next   atomic.Int64
	log    string
}

// binDir finds the folder of initdb and postgres: PATH first, then the
// newest /usr/lib/postgresql/<version>/bin.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	return "", ErrUnavailable
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// runAs is who runs the server: PostgreSQL refuses to run as root, so root
// hands it to the postgres user (the Debian package makes one) or nobody.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("pgtest: running as root and neither a postgres nor a nobody user exists to run PostgreSQL as")
}

// baseDir is where the server's folder goes: the temporary directory,
// unless the server's user could not reach it (root's private TMPDIR) or
// the socket's path would pass the 107 bytes a unix socket name may have.
func baseDir(cred *syscall.Credential) string {
	base := os.TempDir()
	if fi, err := os.Stat(base); cred != nil && (err != nil || fi.Mode().Perm()&0o001 == 0) {
		base = "/tmp"
	}
	if len(base) > 60 {
		base = "/tmp"
	}
	return base
}

// Start initialises a database cluster in a new temporary folder and
// starts a server on it. Stop ends it and removes the folder.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(baseDir(cred), "airsign-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, log: filepath.Join(dir, "postgres.log")}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	logf, err := os.Create(s.log)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()
	// Durability is of no use to a test's database; speed is.
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", dir,
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=300", "-c", "shared_buffers=32MB")
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// SIGQUIT (immediate shutdown) if this process dies without Stop.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: start postgres: %w", err)
	}
	s.exited = make(chan struct{})
	go func() {
		s.cmd.Wait()
		close(s.exited)
	}()
	s.admin, err = sql.Open("pgx", s.URL("postgres"))
	if err == nil {
		err = s.waitReady()
	}
	if err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady() error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := s.admin.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("pgtest: postgres exited at start: %s", s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres not ready after a minute: %v\n%s", err, s.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// URL is the connection URL of database name on this server.
func (s *Server) URL(name string) string {
	return "postgres://postgres@/" + name + "?host=" + s.dir + "&sslmode=disable"
}

// NewDatabase creates a database, a copy of template (empty when template
// is ""), and returns its URL. The database is dropped when the test ends.
func (s *Server) NewDatabase(t testing.TB, template string) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%s", s.next.Add(1), sanitize(t.Name()))
	from := ""
	if template != "" {
		from = ` TEMPLATE "` + template + `"`
	}
	if _, err := s.admin.Exec(`CREATE DATABASE "` + name + `"` + from + ` STRATEGY = FILE_COPY`); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := s.admin.Exec(`DROP DATABASE "` + name + `" WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.URL(name)
}

// sanitize keeps a database name readable in the server log and within
// PostgreSQL's 63 bytes.
func sanitize(name string) string {
	b := []byte(strings.ToLower(name))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	if len(b) > 40 {
		b = b[len(b)-40:]
	}
	return string(b)
}

// Stop shuts the server down (fast shutdown: connections are ended) and
// removes its folder.
func (s *Server) Stop() error {
	if s.admin != nil {
		s.admin.Close()
	}
	var err error
	if s.exited != nil {
		s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
			err = errors.New("pgtest: postgres did not stop in 30 s; killed")
		}
	}
	os.RemoveAll(s.dir)
	return err
}

var (
	sharedOnce sync.Once
	sharedSrv  *Server
	sharedErr  error
)

// Shared starts the test binary's one server on first use and returns the
// URL of a fresh, empty database on it. Without PostgreSQL it skips the
// test, or fails it when AIRSIGN_REQUIRE_TOOLS is set. Call StopShared
// from TestMain after m.Run.
func Shared(t testing.TB) string {
	t.Helper()
	return shared(t).NewDatabase(t, "")
}

var templates sync.Map // name -> *template

type template struct {
	once sync.Once
	err  error
}

// SharedFrom is Shared with the fresh database a copy of the template
// database called name, which fill prepares on first use (a schema
// migrated once instead of in every test). fill must close its
// connections: a database being copied must have none.
func SharedFrom(t testing.TB, name string, fill func(url string) error) string {
	t.Helper()
	srv := shared(t)
	v, _ := templates.LoadOrStore(name, &template{})
	tm := v.(*template)
	tm.once.Do(func() {
		if _, tm.err = srv.admin.Exec(`CREATE DATABASE "` + name + `"`); tm.err == nil {
			tm.err = fill(srv.URL(name))
		}
	})
	if tm.err != nil {
		t.Fatalf("pgtest: template database %s: %v", name, tm.err)
	}
	return srv.NewDatabase(t, name)
}

func shared(t testing.TB) *Server {
	t.Helper()
	sharedOnce.Do(func() { sharedSrv, sharedErr = Start() })
	if sharedErr != nil {
		Unavailable(t, sharedErr)
	}
	return sharedSrv
}

// Unavailable ends a test that could not start PostgreSQL (Start's
// error): a skip, or a failure when AIRSIGN_REQUIRE_TOOLS is set.
func Unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv(requireEnv) != "" {
		t.Fatalf("pgtest: %v (%s is set)", err, requireEnv)
	}
	t.Skipf("pgtest: %v; set %s=1 to make this a failure", err, requireEnv)
}

// StopShared stops the server Shared started, if any.
func StopShared() {
	if sharedSrv != nil {
		sharedSrv.Stop()
	}
}
