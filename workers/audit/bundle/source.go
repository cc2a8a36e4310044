package bundle

import (
	"context"
	"crypto/x509"
	"fmt"
	"iter"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"github.com/aeoledger/aeoledger/network/msp"
)

// Source streams committed blocks, from block number from up to the chain
// head at the time of the call, and then ends.
//
// (*client.Client).BlockRange has this shape, so a bundle can be built from
// any peer's Deliver service, the embedded peer's or a Fabric peer's:
// bundle.SourceFunc(c.BlockRange). LedgerSource adapts the embedded ledger
// read in-process.
type Source interface {
	Blocks(ctx context.Context, from uint64) iter.Seq2[*common.Block, error]
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, from uint64) iter.Seq2[*common.Block, error]

// Blocks calls f.
func (f SourceFunc) Blocks(ctx context.Context, from uint64) iter.Seq2[*common.Block, error] {
	return f(ctx, from)
}

// BlockReader is what LedgerSource needs: *ledger.Ledger has it.
type BlockReader interface {
	Height() uint64
	Block(n uint64) (*common.Block, error)
}

// LedgerSource reads blocks straight from a ledger (the embedded peer's
// *ledger.Ledger), up to the height at the time Blocks is called.
func LedgerSource(l BlockReader) Source {
	return SourceFunc(func(ctx context.Context, from uint64) iter.Seq2[*common.Block, error] {
		return func(yield func(*common.Block, error) bool) {
			h := l.Height()
			for n := from; n < h; n++ {
				if err := ctx.Err(); err != nil {
					yield(nil, err)
					return
				}
				blk, err := l.Block(n)
				if err != nil {
					yield(nil, fmt.Errorf("reading block %d: %w", n, err))
					return
				}
				if !yield(blk, nil) {
					return
				}
			}
		}
	})
}

// CAResolver returns the CA certificates of an organisation, for the
// bundle's Orgs section.
type CAResolver interface {
	CAs(mspID string) (roots, intermediates []*x509.Certificate, err error)
}

// CAResolverFunc adapts a function to CAResolver.
type CAResolverFunc func(mspID string) (roots, intermediates []*x509.Certificate, err error)

// CAs calls f.
func (f CAResolverFunc) CAs(mspID string) ([]*x509.Certificate, []*x509.Certificate, error) {
	return f(mspID)
}

// MSPCAs resolves organisations through the MSPs a node trusts (for
// example devnet's (*Network).LoadMSPs, or MSP folders of a Fabric
// network loaded with msp.Load and msp.NewManager).
func MSPCAs(m *msp.Manager) CAResolver {
	return CAResolverFunc(func(mspID string) ([]*x509.Certificate, []*x509.Certificate, error) {
		org, ok := m.MSP(mspID)
		if !ok {
			return nil, nil, fmt.Errorf("resolving CA of %s: %w", mspID, msp.ErrUnknownMSP)
		}
		return org.RootCerts(), nil, nil
	})
}
