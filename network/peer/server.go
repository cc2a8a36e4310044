// Package peer is the gRPC face of aeoledger's embedded peer. It implements
// the Fabric Gateway service (Evaluate, Endorse, Submit, CommitStatus,
// ChaincodeEvents) and the peer Deliver service (Deliver, DeliverFiltered,
// DeliverWithPrivateData) with the messages of fabric-protos-go-apiv2, so the
// unmodified fabric-gateway client works against it.
//
// It behaves as a Fabric v3 peer with its gateway enabled, in a network of
// one peer and one orderer: proposals are checked as the endorser checks them
// (header, transaction ID, creator certificate, signature, channel ACL),
// simulated through network/ledger, endorsed with the peer's identity and
// assembled into the prepared transaction exactly as Fabric's gateway does.
// Submitted transactions are checked as the orderer's broadcast checks them
// and handed to the ledger's orderer. Errors carry the gRPC codes and
// messages a Fabric gateway returns, with gateway.ErrorDetail where Fabric
// attaches one. See the method docs for each code.
package peer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
)

// Ledger is what the server needs from network/ledger; *ledger.Ledger
// implements it.
type Ledger interface {
	Simulate(ctx context.Context, in ledger.SimulationInput) (*ledger.SimulationResult, error)
	Order(ctx context.Context, env *common.Envelope) error
	// OrderParsed is Order for an envelope already parsed with
	// ledger.ParseEnvelope.
	OrderParsed(ctx context.Context, tx *ledger.Tx) error
	TxStatus(txID string) (blockNum uint64, code pb.TxValidationCode, found bool, err error)
	WaitForTx(ctx context.Context, txID string) (uint64, pb.TxValidationCode, error)
	Height() uint64
	Block(n uint64) (*common.Block, error)
	SubscribeBlocks(ctx context.Context, from uint64) (<-chan *common.Block, error)
}

// Config wires a Server.
type Config struct {
	// ChannelID is the one channel the node serves.
	ChannelID string
	// Chaincodes maps chaincode names to their implementation.
	Chaincodes map[string]shim.Chaincode
	// ChaincodeVersion is recorded in every chaincode action (default "1.0").
	ChaincodeVersion string
	// Ledger simulates, orders and stores transactions.
	Ledger Ledger
	// MSPs are the organisations the node trusts.
	MSPs *msp.Manager
	// AppOrgs are the application organisations: their admins and clients
	// may propose and submit (the channel's Writers), their admins, clients
	// and peers may read events and blocks (Readers). Default: every MSP.
	AppOrgs []string
	// Endorser is the peer identity that signs endorsements.
	Endorser *msp.SigningIdentity
	// Issued, when not nil, records every endorsement Endorse hands out,
	// for the commit-time validator built with the same memo.
	Issued *IssuedEndorsements
	// Address is the node's address as reported in gateway.ErrorDetail.
	Address string
	// Logger receives warnings about refused requests (default: discard).
	Logger *slog.Logger
}

// Server implements gateway.GatewayServer and peer.DeliverServer.
type Server struct {
	gateway.UnimplementedGatewayServer
	pb.UnimplementedDeliverServer

	cfg        Config
	endorserID []byte
	appOrgs    map[string]bool
	log        *slog.Logger
}

var (
	_ gateway.GatewayServer = (*Server)(nil)
	_ pb.DeliverServer      = (*Server)(nil)
)

// ErrConfig is wrapped by New's errors.
var ErrConfig = errors.New("invalid peer configuration")

// New checks the configuration and builds a server.
func New(cfg Config) (*Server, error) {
	bad := func(field, value, rule string) error {
		return fmt.Errorf("building peer: field=%s value=%q rule=%s: %w", field, value, rule, ErrConfig)
	}
	switch {
	case cfg.ChannelID == "":
		return nil, bad("ChannelID", "", "must not be empty")
	case len(cfg.Chaincodes) == 0:
		return nil, bad("Chaincodes", "", "must name at least one chaincode")
	case cfg.Ledger == nil:
		return nil, bad("Ledger", "<nil>", "must not be nil")
	case cfg.MSPs == nil:
		return nil, bad("MSPs", "<nil>", "must not be nil")
	case cfg.Endorser == nil:
		return nil, bad("Endorser", "<nil>", "must not be nil")
	}
	if cfg.ChaincodeVersion == "" {
		cfg.ChaincodeVersion = "1.0"
	}
	if len(cfg.AppOrgs) == 0 {
		cfg.AppOrgs = cfg.MSPs.MSPIDs()
	}
	apps := map[string]bool{}
	for _, id := range cfg.AppOrgs {
		if _, ok := cfg.MSPs.MSP(id); !ok {
			return nil, bad("AppOrgs", id, "must be a trusted MSP")
		}
		apps[id] = true
	}
	if !apps[cfg.Endorser.MSPID()] {
		return nil, bad("Endorser", cfg.Endorser.MSPID(), "must belong to an application org")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ser, _ := cfg.Endorser.Serialize()
	return &Server{cfg: cfg, endorserID: ser, appOrgs: apps, log: cfg.Logger}, nil
}

// Register adds the Gateway and Deliver services to a gRPC server.
func (s *Server) Register(g *grpc.Server) {
	gateway.RegisterGatewayServer(g, s)
	pb.RegisterDeliverServer(g, s)
}

// policy is a channel policy: which roles of which orgs satisfy it.
type policy struct {
	path  string
	name  string
	roles []msp.Role
}

var (
	writers = policy{path: "/Channel/Application/Writers", name: "Writers", roles: []msp.Role{msp.RoleAdmin, msp.RoleClient}}
	readers = policy{path: "/Channel/Application/Readers", name: "Readers", roles: []msp.Role{msp.RoleAdmin, msp.RoleClient, msp.RolePeer}}
)

// errPolicy is what Fabric's implicit meta policy says when no org's
// sub-policy is satisfied.
func errPolicy(p policy) error {
	return fmt.Errorf("implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the '%s' sub-policies to be satisfied", p.name)
}

// checkSigned validates the identity and its signature over data and checks
// that it satisfies the policy, returning the identity.
func (s *Server) checkSigned(p policy, identity, data, sig []byte) (*msp.Identity, error) {
	id, err := s.cfg.MSPs.Deserialize(identity)
	if err != nil {
		return nil, err
	}
	if err := id.Verify(data, sig); err != nil {
		return id, err
	}
	if !s.satisfies(p, id) {
		return id, errPolicy(p)
	}
	return id, nil
}

func (s *Server) satisfies(p policy, id *msp.Identity) bool {
	if !s.appOrgs[id.MSPID] {
		return false
	}
	// Without NodeOUs every member counts, as in Fabric's "member" principal.
	return id.Role == msp.RoleMember || slices.Contains(p.roles, id.Role)
}

// aclError formats the error Fabric's ACL provider returns.
func aclError(p policy, channel string, cause error) error {
	return fmt.Errorf("failed evaluating policy on signed data during check policy on channel [%s] with policy [%s]: [%v]", channel, p.path, cause)
}
