package archive

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"time"

	"github.com/aeoledger/aeoledger/schemas"
)

// Access log actions.
const (
	ActionWrite = "write"
	ActionRead  = "read"
)

// Entry is one access log line. Hash is hex SHA-256 of the entry's RFC 8785
// form with Hash empty; Prev is the hash of the entry before (empty for the
// first), which chains the log.
type Entry struct {
	Seq    uint64 `json:"seq"`
	Time   string `json:"time"`
	Actor  string `json:"actor"`
	Action string `json:"action"`
	SHA256 string `json:"sha256"`
	Name   string `json:"name,omitempty"`
	Size   int64  `json:"size"`
	Prev   string `json:"prev"`
	Hash   string `json:"hash"`
}

// EntryHash computes what e.Hash must hold.
func EntryHash(e Entry) (string, error) {
	e.Hash = ""
	sum, err := schemas.Digest(e)
	if err != nil {
		return "", fmt.Errorf("hashing log entry %d: %w", e.Seq, err)
	}
	return hex.EncodeToString(sum[:]), nil
}

type logHead struct {
	next uint64 // seq of the next entry
	hash string // hash of the last entry
}

func (s *Store) logPath() string { return filepath.Join(s.dir, LogFile) }

// readHead finds the last entry of the log (without checking the chain;
// Verify does).
func (s *Store) readHead() (logHead, error) {
	var h logHead
	for e, err := range s.Entries() {
		if err != nil {
			return logHead{}, err
		}
		h = logHead{next: e.Seq + 1, hash: e.Hash}
	}
	return h, nil
}

// appendLocked appends one entry; s.mu must be held.
func (s *Store) appendLocked(e Entry) error {
	e.Seq, e.Prev = s.head.next, s.head.hash
	e.Time = s.opts.Now().UTC().Format(time.RFC3339Nano)
	h, err := EntryHash(e)
	if err != nil {
		return err
	}
	e.Hash = h
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding log entry: %w", err)
	}
	f, err := os.OpenFile(s.logPath(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("opening access log: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		_ = f.Close()
		return fmt.Errorf("appending to access log: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("syncing access log: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing access log: %w", err)
	}
	s.head = logHead{next: e.Seq + 1, hash: e.Hash}
	return nil
}

// Entries streams the access log as stored.
func (s *Store) Entries() iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		f, err := os.Open(s.logPath())
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		if err != nil {
			yield(Entry{}, fmt.Errorf("opening access log: %w", err))
			return
		}
		defer func() { _ = f.Close() }()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		line := 0
		for sc.Scan() {
			line++
			var e Entry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				if !yield(Entry{}, fmt.Errorf("access log line %d: %w", line, err)) {
					return
				}
				continue
			}
			if !yield(e, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(Entry{}, fmt.Errorf("reading access log: %w", err))
		}
	}
}

// anchorState is the last digest handed to the ledger.
type anchorState struct {
	ToSeq uint64 `json:"toSeq"`
	Head  string `json:"head"`
}

const anchorFile = "anchored.json"

func (s *Store) readAnchorState() (*anchorState, error) {
	raw, err := os.ReadFile(filepath.Join(s.dir, anchorFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading anchor state: %w", err)
	}
	st := &anchorState{}
	if err := json.Unmarshal(raw, st); err != nil {
		return nil, fmt.Errorf("reading anchor state: %w", err)
	}
	return st, nil
}

// Digest summarises the log entries after the last anchored one: their
// range, count, the hash of the last entry and of the entry before the
// range. ok is false when there is nothing new to anchor.
func (s *Store) Digest() (d schemas.AccessLogDigest, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.digestLocked()
}

func (s *Store) digestLocked() (schemas.AccessLogDigest, bool, error) {
	st, err := s.readAnchorState()
	if err != nil {
		return schemas.AccessLogDigest{}, false, err
	}
	from := uint64(0)
	prev := ""
	if st != nil {
		from, prev = st.ToSeq+1, st.Head
	}
	if s.head.next == 0 || from >= s.head.next {
		return schemas.AccessLogDigest{}, false, nil
	}
	return schemas.AccessLogDigest{FromSeq: from, ToSeq: s.head.next - 1, Entries: int64(s.head.next - from),
		HeadSHA256: s.head.hash, PrevSHA256: prev}, true, nil
}

// Recorder writes a compliance record on the ledger, e.g.
//
//	func(ctx context.Context, r schemas.ComplianceRecord) error {
//		_, err := c.RecordCompliance(ctx, r)
//		return err
//	}
type Recorder func(ctx context.Context, r schemas.ComplianceRecord) error

// AnchorLog anchors the entries written since the last anchor: it builds a
// compliance record of kind access-log-digest about subject
// ("archive", archiveID), hands it to record and, once that succeeded,
// remembers the anchored position. It returns nil, nil when there is
// nothing new.
func (s *Store) AnchorLog(ctx context.Context, archiveID string, record Recorder) (*schemas.ComplianceRecord, error) {
	if err := schemas.ValidateID("archiveId", archiveID); err != nil {
		return nil, fmt.Errorf("anchoring access log: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok, err := s.digestLocked()
	if err != nil || !ok {
		return nil, err
	}
	rec := schemas.ComplianceRecord{Kind: schemas.KindAccessLogDigest, SubjectType: "archive", SubjectID: archiveID,
		CreatedAt: s.opts.Now().UTC().Format(time.RFC3339), Digest: &d}
	if err := record(ctx, rec); err != nil {
		return nil, fmt.Errorf("anchoring access log: %w", err)
	}
	raw, err := json.Marshal(anchorState{ToSeq: d.ToSeq, Head: d.HeadSHA256})
	if err != nil {
		return nil, fmt.Errorf("anchoring access log: %w", err)
	}
	tmp := filepath.Join(s.dir, anchorFile+".tmp")
	if err := os.WriteFile(tmp, raw, 0o640); err != nil {
		return nil, fmt.Errorf("anchoring access log: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, anchorFile)); err != nil {
		return nil, fmt.Errorf("anchoring access log: %w", err)
	}
	return &rec, nil
}

// Problem is one finding of Verify.
type Problem struct {
	Kind   string `json:"kind"` // chain-break, digest-mismatch, tampered, missing
	Seq    uint64 `json:"seq,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Actual string `json:"actualSha256,omitempty"`
	Detail string `json:"detail"`
}

// Problem kinds.
const (
	ProblemChainBreak     = "chain-break"
	ProblemDigestMismatch = "digest-mismatch"
	ProblemTampered       = "tampered"
	ProblemMissing        = "missing"
)

// Report is the outcome of Verify.
type Report struct {
	Entries   int       `json:"entries"`
	Documents int       `json:"documents"`
	Intact    int       `json:"intact"`
	Problems  []Problem `json:"problems"`
}

// OK reports whether Verify found nothing.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Verify checks the access log's hash chain (every entry's hash, its link to
// the entry before, consecutive sequence numbers), that each anchored digest
// still matches the log, and that every anchored document is in the archive
// with bytes that hash to its anchor. Verify itself is not logged.
func (s *Store) Verify(anchors []schemas.DocumentAnchor, digests []schemas.AccessLogDigest) (*Report, error) {
	rep := &Report{}
	hashes := map[uint64]string{}
	prev, next := "", uint64(0)
	for e, err := range s.Entries() {
		if err != nil {
			rep.Problems = append(rep.Problems, Problem{Kind: ProblemChainBreak, Seq: next, Detail: err.Error()})
			continue
		}
		rep.Entries++
		want, err := EntryHash(e)
		if err != nil {
			return nil, err
		}
		switch {
		case e.Seq != next:
			rep.Problems = append(rep.Problems, Problem{Kind: ProblemChainBreak, Seq: e.Seq, Detail: fmt.Sprintf("entry %d follows entry %d", e.Seq, next-1)})
		case e.Prev != prev:
			rep.Problems = append(rep.Problems, Problem{Kind: ProblemChainBreak, Seq: e.Seq, Detail: fmt.Sprintf("entry %d links to %s, the entry before hashes to %s", e.Seq, e.Prev, prev)})
		case e.Hash != want:
			rep.Problems = append(rep.Problems, Problem{Kind: ProblemChainBreak, Seq: e.Seq, Detail: fmt.Sprintf("entry %d was changed: it hashes to %s, not %s", e.Seq, want, e.Hash)})
		}
		hashes[e.Seq] = want // what the entry hashes to now, whatever its Hash field claims
		prev, next = want, e.Seq+1
	}
	for _, d := range digests {
		if got, ok := hashes[d.ToSeq]; !ok || got != d.HeadSHA256 {
			rep.Problems = append(rep.Problems, Problem{Kind: ProblemDigestMismatch, Seq: d.ToSeq,
				Detail: fmt.Sprintf("the ledger anchored entry %d as %s, the log holds %q", d.ToSeq, d.HeadSHA256, got)})
		}
	}
	for _, a := range anchors {
		rep.Documents++
		if schemas.ValidateSHA256("sha256", a.SHA256) != nil {
			rep.Problems = append(rep.Problems, Problem{Kind: ProblemMissing, SHA256: a.SHA256, Detail: "anchor holds no valid SHA-256"})
			continue
		}
		f, err := os.Open(s.objectPath(a.SHA256))
		if errors.Is(err, os.ErrNotExist) {
			rep.Problems = append(rep.Problems, Problem{Kind: ProblemMissing, SHA256: a.SHA256, Detail: fmt.Sprintf("%s (%s) is anchored but not in the archive", a.Name, a.DocType)})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("verifying document %s: %w", a.SHA256, err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		_ = f.Close()
		if err != nil {
			return nil, fmt.Errorf("verifying document %s: %w", a.SHA256, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != a.SHA256 {
			rep.Problems = append(rep.Problems, Problem{Kind: ProblemTampered, SHA256: a.SHA256, Actual: got,
				Detail: fmt.Sprintf("%s (%s): the stored bytes hash to %s, not the anchored %s", a.Name, a.DocType, got, a.SHA256)})
			continue
		}
		rep.Intact++
	}
	return rep, nil
}
