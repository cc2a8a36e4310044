// Package shareddata finds the project's shared data sets (the customs
// declarations and the OFAC sanctions snapshot) for tests and benchmarks.
// The data is not part of the repository: it lives in ../shared/data beside
// the checkout. A clone elsewhere (a CI work folder, say) points at it with
// AEOLEDGER_SHARED_DATA.
package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// EnvVar names the environment variable that overrides where the data is.
const EnvVar = "AEOLEDGER_SHARED_DATA"

// fallback is where the data sits on the project's own machines.
const fallback = "/work/shared/data"

// Dir returns the shared data folder: $AEOLEDGER_SHARED_DATA if set, else
// ../shared/data beside the repository, else the machines' standard place.
func Dir() (string, error) {
	if v := os.Getenv(EnvVar); v != "" {
		if !isDir(v) {
			return "", fmt.Errorf("locating shared data: %s=%q is not a folder", EnvVar, v)
		}
		return v, nil
	}
	var tried []string
	if _, file, _, ok := runtime.Caller(0); ok {
		// file is <repo>/internal/shareddata/shareddata.go.
		repo := filepath.Dir(filepath.Dir(filepath.Dir(file)))
		beside := filepath.Join(repo, "..", "shared", "data")
		if isDir(beside) {
			return filepath.Clean(beside), nil
		}
		tried = append(tried, filepath.Clean(beside))
	}
	if isDir(fallback) {
		return fallback, nil
	}
	tried = append(tried, fallback)
	return "", fmt.Errorf("locating shared data: none of %q exists; set %s", tried, EnvVar)
}

// Path returns the path of a file or folder inside the shared data folder,
// failing the test (never skipping it) when the data cannot be found.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	dir, err := Dir()
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(append([]string{dir}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("shared data: %v", err)
	}
	return p
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
