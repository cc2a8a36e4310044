package bundle

import (
	"crypto/sha256"
	"encoding/hex"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// FileHash is the bundle hash an export or report cites: hex SHA-256 of the
// bundle file's bytes (what sha256sum prints).
func FileHash(raw []byte) string { return sha256Hex(raw) }
