package chaincode

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/aeoledger/aeoledger/schemas"
)

// MaxVerifyBytes bounds the document bytes VerifyDocument accepts; larger
// documents are hashed by the client and compared with GetDocument.
const MaxVerifyBytes = 4 << 20

// AnchorDocument anchors an off-chain document's hash. The caller's MSP must
// be the MSP of the owner partner.
func (c *Contract) AnchorDocument(ctx contractapi.TransactionContextInterface, anchorJSON string) (string, error) {
	return respond(c.anchorDocument(ctx, anchorJSON))
}

func (c *Contract) anchorDocument(ctx contractapi.TransactionContextInterface, anchorJSON string) (*schemas.DocumentAnchor, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	a, err := parse[schemas.DocumentAnchor](schemas.KindDocument, anchorJSON)
	if err != nil {
		return nil, fmt.Errorf("anchoring document: %w", err)
	}
	if a.AnchoredBy != nil || a.AnchoredAt != "" {
		return nil, fmt.Errorf("anchoring document: %w", invalid("anchoredBy", a.AnchoredAt, "anchoredBy and anchoredAt are set by the contract"))
	}
	owner, _, err := t.loadPartner(a.Owner)
	if err != nil {
		return nil, fmt.Errorf("anchoring document: %w", err)
	}
	who, err := t.caller()
	if err != nil {
		return nil, err
	}
	if who.MSPID != owner.MSPID {
		return nil, fmt.Errorf("anchoring document: %w", fail(ErrForbidden, "%s may not anchor a document owned by partner %q of %s", who.MSPID, owner.ID, owner.MSPID))
	}
	if a.ShipmentID != "" {
		if _, err := t.loadShipment(a.ShipmentID); err != nil {
			return nil, fmt.Errorf("anchoring document: %w", err)
		}
	}
	if a.DeclarationID != "" {
		if _, _, err := t.loadDeclaration(a.DeclarationID); err != nil {
			return nil, fmt.Errorf("anchoring document: %w", err)
		}
	}
	k, err := t.key(objDoc, a.SHA256)
	if err != nil {
		return nil, err
	}
	if ok, err := t.exists(k); err != nil {
		return nil, err
	} else if ok {
		return nil, fmt.Errorf("anchoring document: %w", fail(ErrDuplicate, "document %s is already anchored", a.SHA256))
	}
	a.AnchoredBy, a.AnchoredAt = &who, t.nowStr
	if err := t.putJSON(k, a); err != nil {
		return nil, err
	}
	return a, t.emit(EventDocument, a)
}

func (t *txn) loadDocument(sha string) (*schemas.DocumentAnchor, error) {
	if err := schemas.ValidateSHA256("sha256", sha); err != nil {
		return nil, err
	}
	a, _, err := load[schemas.DocumentAnchor](t, objDoc, sha)
	if err == nil && a == nil {
		err = fail(ErrNotFound, "document %s is not anchored", sha)
	}
	return a, err
}

// GetDocument returns a document anchor.
func (c *Contract) GetDocument(ctx contractapi.TransactionContextInterface, sha256Hex string) (string, error) {
	return respond(c.getDocument(ctx, sha256Hex))
}

func (c *Contract) getDocument(ctx contractapi.TransactionContextInterface, sha256Hex string) (*schemas.DocumentAnchor, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	a, err := t.loadDocument(sha256Hex)
	if err != nil {
		return nil, fmt.Errorf("getting document: %w", err)
	}
	return a, nil
}

// VerifyDocument checks given bytes (base64) against an anchor: "intact" when
// their SHA-256 and size match, "tampered" otherwise.
func (c *Contract) VerifyDocument(ctx contractapi.TransactionContextInterface, sha256Hex, contentBase64 string) (string, error) {
	return respond(c.verifyDocument(ctx, sha256Hex, contentBase64))
}

func (c *Contract) verifyDocument(ctx contractapi.TransactionContextInterface, sha256Hex, contentBase64 string) (*schemas.DocumentVerification, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	if base64.StdEncoding.DecodedLen(len(contentBase64)) > MaxVerifyBytes+3 {
		return nil, fmt.Errorf("verifying document: %w", invalid("content", strconv.Itoa(len(contentBase64))+" base64 characters",
			"at most %d bytes are verified on the ledger; hash larger documents locally and compare with GetDocument", MaxVerifyBytes))
	}
	content, err := base64.StdEncoding.DecodeString(contentBase64)
	if err != nil {
		return nil, fmt.Errorf("verifying document: %w", invalid("content", contentBase64, "must be standard base64"))
	}
	a, err := t.loadDocument(sha256Hex)
	if err != nil {
		return nil, fmt.Errorf("verifying document: %w", err)
	}
	sum := sha256.Sum256(content)
	v := &schemas.DocumentVerification{SHA256: a.SHA256, ActualSHA256: hex.EncodeToString(sum[:]), Anchor: *a, Status: schemas.DocumentTampered}
	if v.ActualSHA256 == a.SHA256 && int64(len(content)) == a.Size {
		v.Status = schemas.DocumentIntact
	}
	return v, nil
}
