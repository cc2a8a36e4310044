package schemas_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aeoledger/aeoledger/schemas"
)

var update = flag.Bool("update", false, "rewrite the expected errors of testdata/invalid")

// TestFixtures walks testdata/valid (every file must validate) and
// testdata/invalid (every file must fail with the error in its .err file).
// A fixture's kind is the part of its name before the first dot.
func TestFixtures(t *testing.T) {
	for _, dir := range []string{"valid", "invalid"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no fixtures in testdata/%s: %v", dir, err)
		}
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".json")
			kind, _, _ := strings.Cut(name, ".")
			t.Run(dir+"/"+name, func(t *testing.T) {
				raw, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				err = schemas.Validate(kind, raw)
				if dir == "valid" {
					if err != nil {
						t.Fatalf("valid fixture refused: %v", err)
					}
					return
				}
				if err == nil {
					t.Fatal("invalid fixture accepted")
				}
				var fe *schemas.FieldError
				if !errors.As(err, &fe) || !errors.Is(err, schemas.ErrInvalid) {
					t.Fatalf("error %v is not a FieldError wrapping ErrInvalid", err)
				}
				errFile := strings.TrimSuffix(f, ".json") + ".err"
				if *update {
					if err := os.WriteFile(errFile, []byte(err.Error()+"\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, rerr := os.ReadFile(errFile)
				if rerr != nil {
					t.Fatalf("reading expected error: %v", rerr)
				}
				if got := err.Error() + "\n"; got != string(want) {
					t.Fatalf("got  %s want %s", got, want)
				}
			})
		}
	}
}
