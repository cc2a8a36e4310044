package archive_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/audit/archive"
	"github.com/aeoledger/aeoledger/workers/audit/internal/audittest"
)

var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% invoice INV-2026-118\n")

func open(t *testing.T, opts archive.Options) *archive.Store {
	t.Helper()
	s, err := archive.Open(t.TempDir(), opts)
	require.NoError(t, err)
	return s
}

// files lists every regular file under dir.
func files(t *testing.T, dir string) []string {
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	}))
	return out
}

func TestPutRefusesBadInputAndWritesNothing(t *testing.T) {
	cases := []struct {
		name, actor, docName, declared string
		content                        []byte
		want                           string
	}{
		{"a name with a parent reference is refused", "alice", "../../etc/passwd", "", pdf,
			`field=name value="../../etc/passwd" rule=must be a plain file name without path separators or '..'`},
		{"a name with a path separator is refused", "alice", "sub/invoice.pdf", "", pdf,
			`field=name value="sub/invoice.pdf" rule=must be a plain file name without path separators or '..'`},
		{"a Windows path is refused", "alice", `..\boot.ini`, "", pdf,
			`field=name value="..\\boot.ini" rule=must be a plain file name without path separators or '..'`},
		{"an empty name is refused", "alice", "", "", pdf, `field=name value="" rule=must not be empty`},
		{"an oversize file is refused", "alice", "big.pdf", "", append(append([]byte{}, pdf...), bytes.Repeat([]byte("x"), 200)...),
			`field=size value="more than 128 bytes" rule=must be at most 128 bytes`},
		{"an executable is refused by its sniffed type", "alice", "invoice.pdf", "", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"),
			`field=mediaType value="application/octet-stream" rule=must be one of application/pdf, text/plain (sniffed from the content)`},
		{"HTML disguised as a PDF is refused", "alice", "invoice.pdf", "application/pdf", []byte("<html><script>alert(1)</script></html>"),
			`field=mediaType value="text/html; charset=utf-8" rule=must be one of application/pdf, text/plain (sniffed from the content)`},
		{"a declared type that differs from the content is refused", "alice", "invoice.txt", "text/plain", pdf,
			`field=mediaType value="text/plain" rule=must match the content, which is application/pdf`},
		{"an empty file is refused", "alice", "empty.pdf", "", nil, `field=size value="0" rule=must not be empty`},
		{"an anonymous write is refused", " ", "invoice.pdf", "", pdf, `field=actor value=" " rule=must name who reads or writes`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, archive.Options{MaxSize: 128, MediaTypes: []string{"application/pdf", "text/plain"}})
			_, err := s.Put(tc.actor, tc.docName, tc.declared, bytes.NewReader(tc.content))
			require.ErrorIs(t, err, schemas.ErrInvalid)
			assert.Equal(t, "storing document: "+tc.want, err.Error())
			assert.Empty(t, files(t, s.Dir()), "nothing written, not even a log entry")
		})
	}
}

func TestGetRefusesPathsInsteadOfHashes(t *testing.T) {
	s := open(t, archive.Options{})
	for _, in := range []string{"../../etc/passwd", "/etc/passwd", strings.Repeat("A", 64), ""} {
		_, err := s.Get("alice", in)
		require.ErrorIs(t, err, schemas.ErrInvalid, in)
		assert.Contains(t, err.Error(), "field=sha256")
	}
	_, err := s.Get("alice", strings.Repeat("ab", 32))
	require.ErrorIs(t, err, archive.ErrNotFound)
	assert.Empty(t, files(t, s.Dir()))
}

func TestReadsAndWritesAreChainedAndTamperingIsReported(t *testing.T) {
	now := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	s := open(t, archive.Options{Now: func() time.Time { now = now.Add(time.Second); return now }})
	doc, err := s.Put("ExporterMSP/user1", "invoice.pdf", "application/pdf", bytes.NewReader(pdf))
	require.NoError(t, err)
	assert.Equal(t, "application/pdf", doc.MediaType)
	got, err := s.Get("CustomsMSP/auditor", doc.SHA256)
	require.NoError(t, err)
	assert.Equal(t, pdf, got)
	path := filepath.Join(s.Dir(), "objects", doc.SHA256[:2], doc.SHA256[2:4], doc.SHA256)
	require.FileExists(t, path)

	var entries []archive.Entry
	for e, err := range s.Entries() {
		require.NoError(t, err)
		entries = append(entries, e)
	}
	require.Len(t, entries, 2)
	assert.Equal(t, []string{"ExporterMSP/user1", "CustomsMSP/auditor"}, []string{entries[0].Actor, entries[1].Actor})
	assert.Equal(t, []string{archive.ActionWrite, archive.ActionRead}, []string{entries[0].Action, entries[1].Action})
	assert.Equal(t, entries[0].Hash, entries[1].Prev)

	var anchored []schemas.ComplianceRecord
	rec, err := s.AnchorLog(context.Background(), "local-archive", func(_ context.Context, r schemas.ComplianceRecord) error {
		anchored = append(anchored, r)
		return nil
	})
	require.NoError(t, err)
	require.NotNil(t, rec)
	assert.Equal(t, schemas.AccessLogDigest{FromSeq: 0, ToSeq: 1, Entries: 2, HeadSHA256: entries[1].Hash}, *rec.Digest)
	require.NoError(t, rec.Validate(), "the record passes the contract's validation")
	again, err := s.AnchorLog(context.Background(), "local-archive", func(context.Context, schemas.ComplianceRecord) error {
		t.Fatal("nothing new to anchor")
		return nil
	})
	require.NoError(t, err)
	assert.Nil(t, again)

	anchor := schemas.DocumentAnchor{SHA256: doc.SHA256, DocType: "invoice", Owner: "acme-export", MediaType: doc.MediaType, Size: doc.Size, Name: "invoice.pdf"}
	digests := []schemas.AccessLogDigest{*anchored[0].Digest}
	rep, err := s.Verify([]schemas.DocumentAnchor{anchor}, digests)
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%+v", rep.Problems)
	assert.Equal(t, 1, rep.Intact)

	cases := []struct {
		name   string
		tamper func(t *testing.T)
		kind   string
		detail string
	}{
		{"a document whose bytes changed is reported tampered", func(t *testing.T) {
			require.NoError(t, os.Chmod(path, 0o640))
			require.NoError(t, os.WriteFile(path, bytes.Replace(pdf, []byte("118"), []byte("119"), 1), 0o440))
		}, archive.ProblemTampered, "the stored bytes hash to"},
		{"an edited log entry no longer matches its anchored digest", func(t *testing.T) {
			log := filepath.Join(s.Dir(), archive.LogFile)
			raw, err := os.ReadFile(log)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(log, bytes.Replace(raw, []byte("CustomsMSP/auditor"), []byte("CustomsMSP/nobody"), 1), 0o640))
		}, archive.ProblemDigestMismatch, "the ledger anchored entry 1 as"},
		{"an edited log entry is a chain break", func(t *testing.T) {}, archive.ProblemChainBreak, "entry 1 was changed"},
		{"a deleted document is reported missing", func(t *testing.T) {
			require.NoError(t, os.Remove(path))
		}, archive.ProblemMissing, "anchored but not in the archive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.tamper(t)
			rep, err := s.Verify([]schemas.DocumentAnchor{anchor}, digests)
			require.NoError(t, err)
			require.False(t, rep.OK())
			var kinds, details []string
			for _, p := range rep.Problems {
				kinds = append(kinds, p.Kind)
				details = append(details, p.Detail)
			}
			assert.Contains(t, kinds, tc.kind)
			assert.Contains(t, strings.Join(details, "\n"), tc.detail)
		})
	}
}

func TestAccessLogDigestIsAnchoredOnARealLedger(t *testing.T) {
	w := audittest.Start(t)
	s := open(t, archive.Options{})
	_, err := s.Put("ExporterMSP/user1", "co.pdf", "", bytes.NewReader(w.CertDoc))
	require.NoError(t, err)
	c := w.Clients["ExporterMSP/user1"]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rec, err := s.AnchorLog(ctx, "acme-archive", func(ctx context.Context, r schemas.ComplianceRecord) error {
		_, err := c.RecordCompliance(ctx, r)
		return err
	})
	require.NoError(t, err)
	onLedger, err := c.AllComplianceBySubject(ctx, "acme-archive")
	require.NoError(t, err)
	require.Len(t, onLedger, 1)
	assert.Equal(t, rec.Digest, onLedger[0].Digest)
	rep, err := s.Verify(nil, []schemas.AccessLogDigest{*onLedger[0].Digest})
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%+v", rep.Problems)
}
