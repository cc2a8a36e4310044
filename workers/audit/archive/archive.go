// Package archive is aeoledger's document archive: a content-addressed store
// on the local disk for invoices, packing lists, bills of lading and
// certificates, whose hashes the ledger anchors (schemas.DocumentAnchor).
//
// Documents live at objects/<hh>/<hh>/<sha256> under the archive folder,
// named by the SHA-256 of their bytes, so a name can never point outside the
// folder and the same bytes are stored once. Put refuses names that try to
// traverse paths, files above the size limit and media types outside the
// allow list (sniffed from the bytes with net/http.DetectContentType, not
// taken from the caller), with a *schemas.FieldError naming the field, the
// value and the rule, and writes nothing then.
//
// Every read and write is appended to a hash-chained access log (who, when,
// what, the previous entry's hash). AnchorLog hands a digest of the entries
// not yet anchored to a callback that records it on the ledger as a
// compliance record of kind access-log-digest. Verify reports chain breaks,
// log entries that differ from an anchored digest, and documents whose bytes
// no longer match their ledger anchors.
package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/aeoledger/aeoledger/schemas"
)

// Defaults of Options.
const (
	DefaultMaxSize = 32 << 20
	LogFile        = "access.log"
	objectsDir     = "objects"
)

// DefaultMediaTypes are the media types accepted by default: what
// http.DetectContentType reports for PDF, images, text, XML and office
// files (zip containers).
var DefaultMediaTypes = []string{"application/pdf", "image/png", "image/jpeg", "image/tiff", "text/plain", "text/xml", "application/xml", "application/zip"}

// ErrNotFound is returned for a document the archive does not hold.
var ErrNotFound = errors.New("document not found")

// Options tune Open.
type Options struct {
	// MaxSize is the largest document accepted, in bytes (default
	// DefaultMaxSize).
	MaxSize int64
	// MediaTypes is the allow list (default DefaultMediaTypes), compared
	// with the sniffed type without parameters.
	MediaTypes []string
	// Now is the clock of the access log (default time.Now).
	Now func() time.Time
}

// Store is an archive folder. Its methods are safe for concurrent use
// within one process.
type Store struct {
	dir  string
	opts Options
	mu   sync.Mutex
	head logHead
}

// Doc describes a stored document.
type Doc struct {
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	MediaType string `json:"mediaType"`
	Name      string `json:"name,omitempty"`
}

// Open opens (creating if needed) the archive in dir.
func Open(dir string, opts Options) (*Store, error) {
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if len(opts.MediaTypes) == 0 {
		opts.MediaTypes = DefaultMediaTypes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Join(dir, objectsDir), 0o750); err != nil {
		return nil, fmt.Errorf("opening archive: %w", err)
	}
	s := &Store{dir: dir, opts: opts}
	head, err := s.readHead()
	if err != nil {
		return nil, fmt.Errorf("opening archive: %w", err)
	}
	s.head = head
	return s, nil
}

// Dir is the archive folder.
func (s *Store) Dir() string { return s.dir }

func invalid(field, value, rule string) error {
	return &schemas.FieldError{Field: field, Value: value, Rule: rule}
}

// ValidateName checks a document's file name: a plain base name (no path
// separators, no "." or "..", no control characters), at most 255 bytes.
func ValidateName(name string) error {
	switch {
	case name == "":
		return invalid("name", name, "must not be empty")
	case len(name) > 255:
		return invalid("name", name[:64]+"...", "must be at most 255 bytes")
	case name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.Contains(name, ".."):
		return invalid("name", name, "must be a plain file name without path separators or '..'")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return invalid("name", name, "must not contain control characters")
	}
	return nil
}

// ValidateActor checks who is acting: not empty, one line, at most 200
// bytes.
func ValidateActor(actor string) error {
	switch {
	case strings.TrimSpace(actor) == "":
		return invalid("actor", actor, "must name who reads or writes")
	case len(actor) > 200:
		return invalid("actor", actor[:64]+"...", "must be at most 200 bytes")
	case strings.IndexFunc(actor, unicode.IsControl) >= 0:
		return invalid("actor", actor, "must not contain control characters")
	}
	return nil
}

func (s *Store) objectPath(sum string) string {
	return filepath.Join(s.dir, objectsDir, sum[:2], sum[2:4], sum)
}

// Put stores a document read from r under its SHA-256 and logs the write.
// declaredType, if not empty, must equal the sniffed media type.
// Errors: *schemas.FieldError for a bad actor, name, size or media type (nothing is written).
func (s *Store) Put(actor, name, declaredType string, r io.Reader) (Doc, error) {
	if err := ValidateActor(actor); err != nil {
		return Doc{}, fmt.Errorf("storing document: %w", err)
	}
	if err := ValidateName(name); err != nil {
		return Doc{}, fmt.Errorf("storing document: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Join(s.dir, objectsDir), ".incoming-*")
	if err != nil {
		return Doc{}, fmt.Errorf("storing document: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	sniff := make([]byte, 0, 512)
	n, err := io.Copy(io.MultiWriter(tmp, h, &capWriter{buf: &sniff}), io.LimitReader(r, s.opts.MaxSize+1))
	if err != nil {
		return Doc{}, fmt.Errorf("storing document %s: %w", name, err)
	}
	if n > s.opts.MaxSize {
		return Doc{}, fmt.Errorf("storing document: %w", invalid("size", fmt.Sprintf("more than %d bytes", s.opts.MaxSize), fmt.Sprintf("must be at most %d bytes", s.opts.MaxSize)))
	}
	if n == 0 {
		return Doc{}, fmt.Errorf("storing document: %w", invalid("size", "0", "must not be empty"))
	}
	media := http.DetectContentType(sniff)
	base, _, _ := strings.Cut(media, ";")
	if !slices.Contains(s.opts.MediaTypes, base) {
		return Doc{}, fmt.Errorf("storing document: %w", invalid("mediaType", media, "must be one of "+strings.Join(s.opts.MediaTypes, ", ")+" (sniffed from the content)"))
	}
	if declaredType != "" {
		d, _, _ := strings.Cut(declaredType, ";")
		if strings.TrimSpace(strings.ToLower(d)) != base {
			return Doc{}, fmt.Errorf("storing document: %w", invalid("mediaType", declaredType, "must match the content, which is "+base))
		}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	doc := Doc{SHA256: sum, Size: n, MediaType: base, Name: name}
	if err := tmp.Sync(); err != nil {
		return Doc{}, fmt.Errorf("storing document: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Doc{}, fmt.Errorf("storing document: %w", err)
	}
	dst := s.objectPath(sum)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return Doc{}, fmt.Errorf("storing document: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := os.Stat(dst); err != nil {
		if err := os.Chmod(tmp.Name(), 0o440); err != nil {
			return Doc{}, fmt.Errorf("storing document: %w", err)
		}
		if err := os.Rename(tmp.Name(), dst); err != nil {
			return Doc{}, fmt.Errorf("storing document: %w", err)
		}
		keep = true
	}
	if err := s.appendLocked(Entry{Actor: actor, Action: ActionWrite, SHA256: sum, Name: name, Size: n}); err != nil {
		return Doc{}, fmt.Errorf("storing document: %w", err)
	}
	return doc, nil
}

// capWriter keeps the first 512 bytes written, for media type sniffing.
type capWriter struct{ buf *[]byte }

func (c *capWriter) Write(p []byte) (int, error) {
	if room := 512 - len(*c.buf); room > 0 {
		*c.buf = append(*c.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// Get returns a document's bytes and logs the read. It does not check them
// against the hash (Verify does); it returns what is on disk.
// Errors: *schemas.FieldError for a bad actor or hash, ErrNotFound.
func (s *Store) Get(actor, sum string) ([]byte, error) {
	if err := ValidateActor(actor); err != nil {
		return nil, fmt.Errorf("reading document: %w", err)
	}
	if err := schemas.ValidateSHA256("sha256", sum); err != nil {
		return nil, fmt.Errorf("reading document: %w", err)
	}
	raw, err := os.ReadFile(s.objectPath(sum))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading document %s: %w", sum, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading document %s: %w", sum, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.appendLocked(Entry{Actor: actor, Action: ActionRead, SHA256: sum, Size: int64(len(raw))}); err != nil {
		return nil, fmt.Errorf("reading document %s: %w", sum, err)
	}
	return raw, nil
}
