// Package devnode creates dev networks with their signing keys and runs the
// embedded peer on them; `network init`, `node start`, `demo` and the command
// tests share it.
package devnode

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/aeoledger/aeoledger/client/keystore"
	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/node"
	"github.com/aeoledger/aeoledger/network/profile"
)

// DefaultOrgs are the organisations of a CLI dev network: the four the
// issue asks for (exporter, carrier/forwarder, certificate issuer, customs)
// plus an importer, who files the customs declaration.
var DefaultOrgs = []string{"ExporterMSP", "CarrierMSP", "IssuerMSP", "CustomsMSP", "ImporterMSP"}

// DefaultKeys are the partner and device signing keys created with a dev
// network, keyed by name, with the organisation that will register them.
var DefaultKeys = []KeySpec{
	{Name: "exporter", MSP: "ExporterMSP"},
	{Name: "carrier", MSP: "CarrierMSP"},
	{Name: "reefer-sensor", MSP: "CarrierMSP"},
	{Name: "issuer", MSP: "IssuerMSP"},
	{Name: "customs", MSP: "CustomsMSP"},
	{Name: "importer", MSP: "ImporterMSP"},
}

// KeySpec names a signing key to create.
type KeySpec struct {
	Name string `json:"name"`
	MSP  string `json:"msp"`
}

// KeysDir is the keystore folder inside a network folder.
const KeysDir = "keys"

// InitOptions tune Init.
type InitOptions struct {
	Orgs    []string  // default DefaultOrgs
	Users   []string  // client identities besides admin; default user1, user2
	Address string    // gateway address; default 127.0.0.1:7051
	Keys    []KeySpec // default DefaultKeys
	// KeystoreOptions replace the light scrypt parameters (tests use tiny ones).
	KeystoreOptions []keystore.Option
}

// Initialised describes a new dev network.
type Initialised struct {
	Dir     string          `json:"dir"`
	Profile string          `json:"profile"`
	Orgs    []string        `json:"orgs"`
	Address string          `json:"address"`
	Keys    []keystore.Info `json:"keys"`
}

// Init writes a dev network (devnet.Init) and a keystore beside it holding
// the partner and device keys, encrypted with light scrypt parameters under
// a random passphrase kept in keys/.passphrase (mode 0600).
func Init(dir string, o InitOptions) (*Initialised, error) {
	if len(o.Orgs) == 0 {
		o.Orgs = DefaultOrgs
	}
	if len(o.Users) == 0 {
		o.Users = []string{"user1", "user2"}
	}
	if o.Keys == nil {
		o.Keys = DefaultKeys
	}
	n, err := devnet.Init(dir, devnet.Options{Orgs: o.Orgs, Users: o.Users, Address: o.Address})
	if err != nil {
		return nil, err
	}
	ksOpts := o.KeystoreOptions
	if ksOpts == nil {
		ksOpts = []keystore.Option{keystore.WithLightScrypt()}
	}
	ks, err := keystore.Open(filepath.Join(n.Dir, KeysDir), ksOpts...)
	if err != nil {
		return nil, fmt.Errorf("initialising dev network keystore: %w", err)
	}
	pass, err := randomPassphrase()
	if err != nil {
		return nil, err
	}
	if err := keystore.WritePassphraseFile(filepath.Join(ks.Dir(), keystore.DevPassphraseFile), pass); err != nil {
		return nil, err
	}
	out := &Initialised{Dir: n.Dir, Profile: n.ProfilePath(), Orgs: n.AppOrgIDs(), Address: n.Address}
	for _, k := range o.Keys {
		info, err := ks.New(k.Name, pass)
		if err != nil {
			return nil, fmt.Errorf("creating key %s: %w", k.Name, err)
		}
		out.Keys = append(out.Keys, info)
	}
	return out, nil
}

func randomPassphrase() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating passphrase: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// StartOptions tune Start.
type StartOptions struct {
	Listen       string        // default: the network's address; "127.0.0.1:0" picks a free port
	DataDir      string        // default <dir>/data
	BatchTimeout time.Duration // default: the ledger's
	NoSync       bool
	// GCPercent is the garbage-collection target while the node runs; 0
	// leaves the process setting alone (node.RecommendedGCPercent suits a
	// node that is the only work of its process).
	GCPercent int
	Logger    *slog.Logger
}

// Start runs the embedded peer on a dev network folder. When it listens on
// another address than the connection profile names (a random port, say),
// the profile is rewritten so clients find it.
func Start(ctx context.Context, dir string, o StartOptions) (*node.Node, error) {
	n, err := node.Start(ctx, node.Config{Dir: dir, DataDir: o.DataDir, Listen: o.Listen,
		BatchTimeout: o.BatchTimeout, NoSync: o.NoSync, GCPercent: o.GCPercent, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	path := n.Network().ProfilePath()
	p, err := profile.Load(path)
	if err != nil {
		_ = n.Stop(context.Background())
		return nil, err
	}
	if p.Gateway.Address != n.Addr() {
		p.Gateway.Address = n.Addr()
		if err := p.Save(path); err != nil {
			_ = n.Stop(context.Background())
			return nil, fmt.Errorf("pointing the profile at %s: %w", n.Addr(), err)
		}
	}
	return n, nil
}
