// Package keystore keeps the secp256k1 signing keys of partners and devices
// encrypted at rest, one Web3 Secret Storage (v3) file per key, using
// go-ethereum's accounts/keystore encryption (scrypt + AES-128-CTR).
//
// Keys are addressed by a short name (the file is <name>.json) or by their
// EIP-55 address. Files are written with mode 0600 in a 0700 directory; a
// key file found with looser permissions is tightened before it is read.
// Passphrases never appear in errors or logs.
package keystore

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	gethks "github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Sentinel errors, testable with errors.Is.
var (
	// ErrNotFound means no key has the given name or address.
	ErrNotFound = errors.New("key not found")
	// ErrExists means a key with that name already exists; keys are never overwritten.
	ErrExists = errors.New("key already exists")
	// ErrBadPassphrase means the passphrase does not decrypt the key.
	ErrBadPassphrase = errors.New("wrong passphrase")
	// ErrInvalidName means a key name breaks the naming rule.
	ErrInvalidName = errors.New("invalid key name")
	// ErrNoPassphrase means no passphrase source was configured.
	ErrNoPassphrase = errors.New("no passphrase given")
)

// FileMode is the permission of every key file.
const FileMode fs.FileMode = 0o600

// DirMode is the permission of the keystore directory.
const DirMode fs.FileMode = 0o700

const fileSuffix = ".json"

// namePattern keeps names safe as file names on every platform.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Info describes a stored key without decrypting it.
type Info struct {
	Name    string      `json:"name"`
	Address string      `json:"address"` // EIP-55 checksummed, 0x-prefixed
	Path    string      `json:"path"`
	Mode    fs.FileMode `json:"mode"`
}

// Store is a directory of encrypted key files.
type Store struct {
	dir     string
	scryptN int
	scryptP int
}

// Option configures a Store.
type Option func(*Store) error

// WithLightScrypt uses go-ethereum's light scrypt parameters (N=4096, p=6,
// about 4 MB): fast enough for dev networks and tests. Production keys use the
// standard parameters (N=262144, p=1, about 256 MB), the default.
func WithLightScrypt() Option {
	return func(s *Store) error {
		s.scryptN, s.scryptP = gethks.LightScryptN, gethks.LightScryptP
		return nil
	}
}

// WithScrypt sets explicit scrypt parameters; n must be a power of two > 1.
func WithScrypt(n, p int) Option {
	return func(s *Store) error {
		if n < 2 || n&(n-1) != 0 {
			return fmt.Errorf("scrypt N %d: must be a power of two greater than 1", n)
		}
		if p < 1 {
			return fmt.Errorf("scrypt p %d: must be at least 1", p)
		}
		s.scryptN, s.scryptP = n, p
		return nil
	}
}

// Open returns the keystore in dir, creating the directory (mode 0700) if needed.
func Open(dir string, opts ...Option) (*Store, error) {
	s := &Store{dir: dir, scryptN: gethks.StandardScryptN, scryptP: gethks.StandardScryptP}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, fmt.Errorf("configuring keystore: %w", err)
		}
	}
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return nil, fmt.Errorf("creating keystore directory: %w", err)
	}
	return s, nil
}

// Dir is the directory holding the key files.
func (s *Store) Dir() string { return s.dir }

// New generates a fresh secp256k1 key, stores it encrypted under name and
// returns its description.
func (s *Store) New(name, passphrase string) (Info, error) {
	priv, err := crypto.GenerateKey()
	if err != nil {
		return Info{}, fmt.Errorf("generating key: %w", err)
	}
	return s.Import(name, priv, passphrase)
}

// Import stores an existing private key encrypted under name.
func (s *Store) Import(name string, priv *ecdsa.PrivateKey, passphrase string) (Info, error) {
	if err := checkName(name); err != nil {
		return Info{}, err
	}
	if passphrase == "" {
		return Info{}, fmt.Errorf("storing key %q: %w", name, ErrNoPassphrase)
	}
	path := s.path(name)
	if _, err := os.Lstat(path); err == nil {
		return Info{}, fmt.Errorf("storing key %q: %w", name, ErrExists)
	}
	addr := crypto.PubkeyToAddress(priv.PublicKey)
	if existing, err := s.byAddress(addr); err == nil {
		return Info{}, fmt.Errorf("storing key %q: address %s is already stored as %q: %w", name, addr.Hex(), existing.Name, ErrExists)
	}
	key := &gethks.Key{Address: addr, PrivateKey: priv}
	if _, err := rand.Read(key.Id[:]); err != nil {
		return Info{}, fmt.Errorf("generating key id: %w", err)
	}
	key.Id[6] = (key.Id[6] & 0x0f) | 0x40 // RFC 4122 version 4
	key.Id[8] = (key.Id[8] & 0x3f) | 0x80 // RFC 4122 variant
	blob, err := gethks.EncryptKey(key, passphrase, s.scryptN, s.scryptP)
	if err != nil {
		return Info{}, fmt.Errorf("encrypting key %q: %w", name, err)
	}
	if err := writeExclusive(path, blob); err != nil {
		return Info{}, fmt.Errorf("storing key %q: %w", name, err)
	}
	return Info{Name: name, Address: addr.Hex(), Path: path, Mode: FileMode}, nil
}

// List returns every key in the store, sorted by name.
func (s *Store) List() ([]Info, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("listing keystore: %w", err)
	}
	var out []Info
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), fileSuffix)
		if !ok || e.IsDir() || !namePattern.MatchString(name) {
			continue
		}
		info, err := s.info(name)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Find describes the key named ref, or the key whose address is ref
// (0x-prefixed hex, any case).
func (s *Store) Find(ref string) (Info, error) {
	if common.IsHexAddress(ref) && strings.HasPrefix(ref, "0x") {
		return s.byAddress(common.HexToAddress(ref))
	}
	if err := checkName(ref); err != nil {
		return Info{}, err
	}
	if _, err := os.Lstat(s.path(ref)); errors.Is(err, fs.ErrNotExist) {
		return Info{}, fmt.Errorf("finding key %q: %w", ref, ErrNotFound)
	}
	return s.info(ref)
}

// Address returns the EIP-55 address of the key named (or addressed by) ref.
func (s *Store) Address(ref string) (string, error) {
	info, err := s.Find(ref)
	if err != nil {
		return "", err
	}
	return info.Address, nil
}

// Load decrypts the key named (or addressed by) ref. A key file readable by
// group or others is first tightened to 0600.
func (s *Store) Load(ref, passphrase string) (*ecdsa.PrivateKey, error) {
	info, err := s.Find(ref)
	if err != nil {
		return nil, err
	}
	if info.Mode.Perm()&^FileMode != 0 {
		if err := os.Chmod(info.Path, FileMode); err != nil {
			return nil, fmt.Errorf("tightening permissions of key %q: %w", info.Name, err)
		}
	}
	blob, err := os.ReadFile(info.Path)
	if err != nil {
		return nil, fmt.Errorf("reading key %q: %w", info.Name, err)
	}
	key, err := gethks.DecryptKey(blob, passphrase)
	if errors.Is(err, gethks.ErrDecrypt) {
		return nil, fmt.Errorf("decrypting key %q: %w", info.Name, ErrBadPassphrase)
	}
	if err != nil {
		return nil, fmt.Errorf("decrypting key %q: %w", info.Name, err)
	}
	if key.Address.Hex() != info.Address {
		return nil, fmt.Errorf("decrypting key %q: stored address %s does not match key address %s", info.Name, info.Address, key.Address.Hex())
	}
	return key.PrivateKey, nil
}

func (s *Store) path(name string) string { return filepath.Join(s.dir, name+fileSuffix) }

func (s *Store) info(name string) (Info, error) {
	path := s.path(name)
	st, err := os.Lstat(path)
	if err != nil {
		return Info{}, fmt.Errorf("reading key %q: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return Info{}, fmt.Errorf("reading key %q: %s is not a regular file", name, path)
	}
	blob, err := os.ReadFile(path)
	if err != nil {
		return Info{}, fmt.Errorf("reading key %q: %w", name, err)
	}
	var head struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(blob, &head); err != nil {
		return Info{}, fmt.Errorf("parsing key %q: %w", name, err)
	}
	if !common.IsHexAddress(head.Address) {
		return Info{}, fmt.Errorf("parsing key %q: field=address value=%q rule=40 hex digits", name, head.Address)
	}
	return Info{Name: name, Address: common.HexToAddress(head.Address).Hex(), Path: path, Mode: st.Mode().Perm()}, nil
}

func (s *Store) byAddress(addr common.Address) (Info, error) {
	all, err := s.List()
	if err != nil {
		return Info{}, err
	}
	for _, info := range all {
		if info.Address == addr.Hex() {
			return info, nil
		}
	}
	return Info{}, fmt.Errorf("finding key %s: %w", addr.Hex(), ErrNotFound)
}

func checkName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("field=name value=%q rule=lower-case letters, digits, '.', '_' or '-', 1-64 characters, starting with a letter or digit: %w", name, ErrInvalidName)
	}
	return nil
}

// writeExclusive creates path with mode 0600, failing if it exists, and
// syncs it so a crash never leaves a half-written key behind.
func writeExclusive(path string, blob []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-key-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op once linked into place
	if err := tmp.Chmod(FileMode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(blob); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Link (not rename) so an existing key is never replaced.
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ErrExists
		}
		return err
	}
	return nil
}
