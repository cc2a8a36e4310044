package cmdutil

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/client/keystore"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/network/profile"
)

// Environment variables that give the global flags their defaults.
const (
	EnvProfile  = "AEOLEDGER_PROFILE"
	EnvMSP      = "AEOLEDGER_MSP"
	EnvIdentity = "AEOLEDGER_IDENTITY"
	EnvKeystore = "AEOLEDGER_KEYSTORE"
)

// DefaultProfile is used when neither --profile nor AEOLEDGER_PROFILE is set.
const DefaultProfile = "aeonet/connection.yaml"

// Globals are the values of the global flags.
type Globals struct {
	Profile        string
	MSP            string
	Identity       string
	Keystore       string
	PassphraseFile string
}

// Factory gives commands what they need, lazily, from the global flags.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Globals   *Globals
	Getenv    func(string) string
	Now       func() time.Time
	// ClientOptions are passed to every client.Connect (tests add short timeouts).
	ClientOptions []client.Option
}

// New returns a Factory over the process environment.
func New(io *iostreams.IOStreams) *Factory {
	return &Factory{IOStreams: io, Globals: &Globals{}, Getenv: os.Getenv, Now: time.Now}
}

// Env reads an environment variable through Getenv, or from the process
// environment when Getenv is nil.
func (f *Factory) Env(k string) string {
	if f.Getenv == nil {
		return os.Getenv(k)
	}
	return f.Getenv(k)
}

// ProfilePath resolves --profile, then AEOLEDGER_PROFILE, then ./aeonet/connection.yaml.
func (f *Factory) ProfilePath() string {
	if f.Globals.Profile != "" {
		return f.Globals.Profile
	}
	if p := f.Env(EnvProfile); p != "" {
		return p
	}
	return DefaultProfile
}

// LoadProfile reads the connection profile.
func (f *Factory) LoadProfile() (*profile.Profile, error) {
	path := f.ProfilePath()
	p, err := profile.Load(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no connection profile at %s: run `aeoledger network init` or pass --profile (or set %s): %w", path, EnvProfile, err)
		}
		return nil, err
	}
	return p, nil
}

// Identity resolves the MSP and identity name: the flags, then the
// environment, then the command's preferred identity (e.g. "admin" for
// partner administration), then "user1".
func (f *Factory) Identity(p *profile.Profile, preferred string) (msp, name string, err error) {
	msp = f.Globals.MSP
	if msp == "" {
		msp = f.Env(EnvMSP)
	}
	if msp == "" {
		ids := p.OrgIDs()
		if len(ids) != 1 {
			return "", "", FlagErrorf("field=--msp value=\"\" rule=required: the profile has organisations %v (or set %s)", ids, EnvMSP)
		}
		msp = ids[0]
	}
	name = f.Globals.Identity
	if name == "" {
		name = f.Env(EnvIdentity)
	}
	if name == "" {
		name = preferred
	}
	if name == "" {
		name = "user1"
	}
	return msp, name, nil
}

// Client connects to the ledger as the resolved identity.
func (f *Factory) Client(preferredIdentity string) (*client.Client, error) {
	p, err := f.LoadProfile()
	if err != nil {
		return nil, err
	}
	msp, name, err := f.Identity(p, preferredIdentity)
	if err != nil {
		return nil, err
	}
	return client.ConnectProfile(p, msp, name, f.ClientOptions...)
}

// Officer is the value of an --officer flag: officer when given, else the
// acting identity of c as name@MSP.
func Officer(c *client.Client, officer string) string {
	if officer != "" {
		return officer
	}
	return c.IdentityName() + "@" + c.MSPID()
}

// KeystoreDir resolves --keystore, then AEOLEDGER_KEYSTORE, then the keys
// folder beside the connection profile.
func (f *Factory) KeystoreDir() string {
	if f.Globals.Keystore != "" {
		return f.Globals.Keystore
	}
	if d := f.Env(EnvKeystore); d != "" {
		return d
	}
	return filepath.Join(filepath.Dir(f.ProfilePath()), "keys")
}

// Keystore opens the keystore, with the given extra options.
func (f *Factory) Keystore(opts ...keystore.Option) (*keystore.Store, error) {
	return keystore.Open(f.KeystoreDir(), opts...)
}

// Passphrase resolves the key passphrase (never printed).
func (f *Factory) Passphrase() (string, error) {
	return keystore.ResolvePassphrase(keystore.PassphraseSource{
		File: f.Globals.PassphraseFile, Getenv: f.Env, DevDir: f.KeystoreDir(),
	})
}

// SigningKey loads and decrypts a key by name or address.
func (f *Factory) SigningKey(ref string) (*ecdsa.PrivateKey, error) {
	if ref == "" {
		return nil, FlagErrorf("field=--key value=\"\" rule=name or address of a key in the keystore is required")
	}
	ks, err := f.Keystore()
	if err != nil {
		return nil, err
	}
	pass, err := f.Passphrase()
	if err != nil {
		return nil, err
	}
	return ks.Load(ref, pass)
}

// Context returns the command context (cancelled on interrupt by app.Main).
func Context(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}
