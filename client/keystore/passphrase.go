package keystore

import (
	"fmt"
	"os"
	"strings"
)

// Environment variables read by ResolvePassphrase.
const (
	// EnvPassphrase holds the passphrase itself.
	EnvPassphrase = "AEOLEDGER_PASSPHRASE"
	// EnvPassphraseFile names a file whose first line is the passphrase.
	EnvPassphraseFile = "AEOLEDGER_PASSPHRASE_FILE"
)

// DevPassphraseFile is the file, inside a dev network's keystore directory,
// where `aeoledger network init` keeps the generated passphrase (mode 0600).
const DevPassphraseFile = ".passphrase"

// PassphraseSource says where to look for a key passphrase, in order:
// File, then the AEOLEDGER_PASSPHRASE variable, then the file named by
// AEOLEDGER_PASSPHRASE_FILE, then DevDir/.passphrase if DevDir is set.
type PassphraseSource struct {
	File   string              // explicit --passphrase-file
	Getenv func(string) string // os.Getenv when nil
	DevDir string              // keystore directory of a dev network
}

// ResolvePassphrase returns the first passphrase found. The value is never
// included in errors.
func ResolvePassphrase(src PassphraseSource) (string, error) {
	getenv := src.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if src.File != "" {
		return readPassphraseFile(src.File)
	}
	if p := getenv(EnvPassphrase); p != "" {
		return p, nil
	}
	if f := getenv(EnvPassphraseFile); f != "" {
		return readPassphraseFile(f)
	}
	if src.DevDir != "" {
		dev := src.DevDir + string(os.PathSeparator) + DevPassphraseFile
		if _, err := os.Stat(dev); err == nil {
			return readPassphraseFile(dev)
		}
	}
	return "", fmt.Errorf("resolving passphrase: set --passphrase-file, %s or %s: %w", EnvPassphrase, EnvPassphraseFile, ErrNoPassphrase)
}

// WritePassphraseFile stores a passphrase with mode 0600, for dev networks.
func WritePassphraseFile(path, passphrase string) error {
	if err := writeExclusive(path, []byte(passphrase+"\n")); err != nil {
		return fmt.Errorf("writing passphrase file: %w", err)
	}
	return nil
}

func readPassphraseFile(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading passphrase file: %w", err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return "", fmt.Errorf("reading passphrase file %s: first line is empty: %w", path, ErrNoPassphrase)
	}
	return line, nil
}
