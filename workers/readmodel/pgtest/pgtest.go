// Package pgtest gives tests a real PostgreSQL database.
//
// When AEOLEDGER_PG_DSN is set (CI starts a server with
// /work/team/pg-start.sh, or any server the developer points at), tests use
// that server. Otherwise the first test that asks starts a private server
// from Debian's PostgreSQL binaries (apt-get install postgresql): initdb into
// a temporary folder, then postgres on 127.0.0.1 with a free port and its
// unix socket inside that folder. RunMain stops it when the package's tests
// end. Every call to DSN creates a fresh database, so tests do not see each
// other's tables, and drops it when the test ends.
//
// A missing PostgreSQL is a test failure, not a skip: the PostgreSQL backend
// must really be tested.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// EnvDSN names the variable holding the DSN of an already running server.
const EnvDSN = "AEOLEDGER_PG_DSN"

var (
	mu      sync.Mutex
	server  *Server
	baseDSN string
	initErr error
)

// RunMain runs the package's tests and then stops the private server, if
// one was started. Call it from TestMain: os.Exit(pgtest.RunMain(m)).
func RunMain(m *testing.M) int {
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if server != nil {
		if err := server.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping private PostgreSQL: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
		server = nil
	}
	return code
}

// DSN returns the DSN of a new, empty database, dropped when t ends.
func DSN(t testing.TB) string {
	t.Helper()
	base, err := serverDSN()
	if err != nil {
		t.Fatalf("pgtest: no PostgreSQL for the PostgreSQL backend tests: %v (install it with `apt-get install -y postgresql` or set %s)", err, EnvDSN)
	}
	name := "aeo_test_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("pgtest: opening %s: %v", redact(base), err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Errorf("pgtest: opening %s: %v", redact(base), err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("pgtest: %s must be a postgres:// URL, got %s", EnvDSN, redact(base))
	}
	u.Path = "/" + name
	return u.String()
}

// serverDSN returns the DSN of the server's maintenance database, starting
// the private server on first use.
func serverDSN() (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if baseDSN != "" || initErr != nil {
		return baseDSN, initErr
	}
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		baseDSN = dsn
		return baseDSN, nil
	}
	s, err := Start()
	if err != nil {
		initErr = err
		return "", err
	}
	server = s
	baseDSN = s.DSN
	return baseDSN, nil
}

// Server is a private PostgreSQL server in a temporary folder.
type Server struct {
	DSN     string
	dir     string
	binDir  string
	runAs   string // "postgres" when the tests run as root, else ""
	dataDir string
}

// Start initialises and starts a private server. It needs the PostgreSQL
// server binaries (Debian: /usr/lib/postgresql/<version>/bin).
func Start() (*Server, error) {
	binDir, err := findBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "aeoledger-pg-")
	if err != nil {
		return nil, fmt.Errorf("creating server folder: %w", err)
	}
	s := &Server{dir: dir, binDir: binDir, dataDir: filepath.Join(dir, "data")}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root; hand the folder to the
		// postgres system user that Debian's package creates.
		s.runAs = "postgres"
		if err := chownTo(dir, "postgres"); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	sockDir := filepath.Join(dir, "sock")
	if err := s.run("mkdir", "-p", sockDir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.run(filepath.Join(binDir, "initdb"), "-D", s.dataDir, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("running initdb: %w", err)
	}
	opts := fmt.Sprintf("-h 127.0.0.1 -p %d -k %s", port, sockDir)
	if err := s.run(filepath.Join(binDir, "pg_ctl"), "-D", s.dataDir, "-o", opts,
		"-l", filepath.Join(dir, "postgres.log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting postgres: %w\n%s", err, log)
	}
	s.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return s, nil
}

// Stop stops the server and removes its folder.
func (s *Server) Stop() error {
	err := s.run(filepath.Join(s.binDir, "pg_ctl"), "-D", s.dataDir, "-m", "fast", "-w", "stop")
	if rmErr := os.RemoveAll(s.dir); rmErr != nil && err == nil {
		err = fmt.Errorf("removing %s: %w", s.dir, rmErr)
	}
	return err
}

func (s *Server) run(name string, args ...string) error {
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.runAs, "--", name}, args...)...)
	} else {
		cmd = exec.Command(name, args...)
	}
	cmd.Dir = s.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(name), err, out)
	}
	return nil
}

// findBinDir returns the newest /usr/lib/postgresql/<v>/bin with initdb, or
// the folder of an initdb on PATH.
func findBinDir() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return versionOf(matches[i]) < versionOf(matches[j]) })
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("finding initdb: not in /usr/lib/postgresql/*/bin nor on PATH")
}

func versionOf(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

func chownTo(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("looking up user %s: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("handing %s to %s: %w", dir, name, err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

// redact hides a password in a DSN for error messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return "the DSN"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
