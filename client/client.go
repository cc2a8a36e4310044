package client

import (
	"fmt"
	"os"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/aeoledger/aeoledger/network/profile"
)

// Client is a connection to the aeoledger contract as one Fabric identity.
// It is safe for concurrent use. Close it when done.
type Client struct {
	cfg      config
	gateway  *client.Gateway
	network  *client.Network
	contract *client.Contract
	conn     *grpc.ClientConn // nil when the caller supplied the connection
	cc       grpc.ClientConnInterface
	id       *identity.X509Identity
	sign     identity.Sign
	mspID    string
	identity string
	profile  *profile.Profile
}

// Connect loads the connection profile at profilePath and connects as the
// identity identityName of organisation mspID.
func Connect(profilePath, mspID, identityName string, opts ...Option) (*Client, error) {
	p, err := profile.Load(profilePath)
	if err != nil {
		return nil, fmt.Errorf("connecting: %w", err)
	}
	return ConnectProfile(p, mspID, identityName, opts...)
}

// ConnectProfile connects with an already loaded profile: it reads the
// identity's X.509 certificate and private key, dials the gateway over TLS
// (trusting only the profile's TLS CA) and selects the profile's channel and
// chaincode. The same code serves the embedded peer and a Fabric network.
func ConnectProfile(p *profile.Profile, mspID, identityName string, opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return nil, fmt.Errorf("connecting: %w", err)
		}
	}
	id, err := p.Identity(mspID, identityName)
	if err != nil {
		return nil, fmt.Errorf("connecting: %w", err)
	}
	certPEM, err := os.ReadFile(id.CertPath)
	if err != nil {
		return nil, fmt.Errorf("reading certificate of %s/%s: %w", mspID, identityName, err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("parsing certificate of %s/%s: %w", mspID, identityName, err)
	}
	x509ID, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		return nil, fmt.Errorf("building identity %s/%s: %w", mspID, identityName, err)
	}
	keyPEM, err := os.ReadFile(id.KeyPath)
	if err != nil {
		return nil, fmt.Errorf("reading private key of %s/%s: %w", mspID, identityName, err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("parsing private key of %s/%s: %w", mspID, identityName, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, fmt.Errorf("building signer of %s/%s: %w", mspID, identityName, err)
	}

	c := &Client{cfg: cfg, mspID: mspID, identity: identityName, profile: p, id: x509ID, sign: sign}
	conn := cfg.conn
	if conn == nil {
		tlsCfg, err := p.GatewayTLS()
		if err != nil {
			return nil, fmt.Errorf("connecting: %w", err)
		}
		cc, err := grpc.NewClient(p.Gateway.Address, grpc.WithTransportCredentials(credentials.NewTLS(tlsCfg)))
		if err != nil {
			return nil, fmt.Errorf("dialling gateway %s: %w", p.Gateway.Address, err)
		}
		c.conn, conn = cc, cc
	}
	c.cc = conn
	gw, err := client.Connect(x509ID,
		client.WithSign(sign),
		client.WithClientConnection(conn),
		client.WithEvaluateTimeout(cfg.evaluateTimeout),
		client.WithEndorseTimeout(cfg.endorseTimeout),
		client.WithSubmitTimeout(cfg.submitTimeout),
		client.WithCommitStatusTimeout(cfg.commitTimeout),
	)
	if err != nil {
		c.closeConn()
		return nil, fmt.Errorf("connecting gateway: %w", err)
	}
	c.gateway = gw
	c.network = gw.GetNetwork(p.Channel)
	c.contract = c.network.GetContract(p.Chaincode)
	return c, nil
}

// Close releases the gateway and, unless the caller supplied it, the gRPC
// connection.
func (c *Client) Close() error {
	err := c.gateway.Close()
	if cerr := c.closeConn(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("closing client: %w", err)
	}
	return nil
}

func (c *Client) closeConn() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

// MSPID is the organisation the client acts for.
func (c *Client) MSPID() string { return c.mspID }

// IdentityName is the profile name of the client's identity.
func (c *Client) IdentityName() string { return c.identity }

// Profile is the connection profile the client was built from.
func (c *Client) Profile() *profile.Profile { return c.profile }

// Gateway exposes the fabric-gateway Gateway for what the typed API does not
// cover (offline signing, checkpointed events).
func (c *Client) Gateway() *client.Gateway { return c.gateway }

// Network is the fabric-gateway handle of the profile's channel; workers use
// it for BlockEvents and ChaincodeEvents.
func (c *Client) Network() *client.Network { return c.network }

// Contract is the fabric-gateway handle of the profile's chaincode.
func (c *Client) Contract() *client.Contract { return c.contract }
