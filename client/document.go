package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/aeoledger/aeoledger/schemas"
)

// DocumentHash is the hex SHA-256 of a document's bytes, as anchored.
func DocumentHash(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// AnchorDocument puts the hash of an off-chain document on the ledger. The
// SDK fills SHA256 and Size from content, and MediaType when empty (by
// sniffing); meta carries DocType, Owner (a partner ID of the caller's MSP)
// and optionally Name, ShipmentID and DeclarationID. The bytes never leave
// the caller.
//
// Errors: *ContractError (ErrInvalid, ErrForbidden, ErrNotFound, ErrDuplicate).
func (c *Client) AnchorDocument(ctx context.Context, content []byte, meta schemas.DocumentAnchor) (*schemas.DocumentAnchor, error) {
	meta.SHA256 = DocumentHash(content)
	meta.Size = int64(len(content))
	if meta.MediaType == "" {
		meta.MediaType = mediaType(content)
	}
	return c.AnchorDocumentHash(ctx, meta)
}

// AnchorDocumentHash anchors a document known only by its hash and metadata.
//
// Errors: as AnchorDocument.
func (c *Client) AnchorDocumentHash(ctx context.Context, anchor schemas.DocumentAnchor) (*schemas.DocumentAnchor, error) {
	if c.cfg.localValidation {
		if err := anchor.Validate(); err != nil {
			return nil, localInvalid("anchoring document", err)
		}
	}
	arg, err := marshalArg("document anchor", anchor)
	if err != nil {
		return nil, err
	}
	var out schemas.DocumentAnchor
	if err := c.submitJSON(ctx, &out, "AnchorDocument", arg); err != nil {
		return nil, err
	}
	return &out, nil
}

// Document reads the anchor of a document by its hex SHA-256.
// Errors: *ContractError (ErrNotFound, ErrInvalid).
func (c *Client) Document(ctx context.Context, sha256Hex string) (*schemas.DocumentAnchor, error) {
	var out schemas.DocumentAnchor
	if err := c.evaluateJSON(ctx, &out, "GetDocument", sha256Hex); err != nil {
		return nil, err
	}
	return &out, nil
}

// VerifyDocument checks document bytes against the ledger. With expected
// set (the hash a record refers to, e.g. an origin certificate's
// documentSha256) it reads that anchor and reports "tampered" when the bytes
// hash differently; with expected empty it looks the bytes' own hash up, so
// an unknown document is ErrNotFound. The bytes are hashed locally and never
// sent.
//
// Errors: *ContractError (ErrNotFound, ErrInvalid).
func (c *Client) VerifyDocument(ctx context.Context, content []byte, expected string) (*schemas.DocumentVerification, error) {
	actual := DocumentHash(content)
	if expected == "" {
		expected = actual
	}
	anchor, err := c.Document(ctx, expected)
	if err != nil {
		return nil, fmt.Errorf("verifying document: %w", err)
	}
	v := &schemas.DocumentVerification{SHA256: anchor.SHA256, ActualSHA256: actual, Status: schemas.DocumentIntact, Anchor: *anchor}
	if actual != anchor.SHA256 {
		v.Status = schemas.DocumentTampered
	}
	return v, nil
}

func mediaType(content []byte) string {
	mt := http.DetectContentType(content)
	// Keep the bare type: the anchor records what the document is, not how
	// the sniffer guessed its charset.
	for i := range len(mt) {
		if mt[i] == ';' {
			return mt[:i]
		}
	}
	return mt
}
