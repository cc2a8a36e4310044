package testnetwork

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	sdk "github.com/aeoledger/aeoledger/client"
	nledger "github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/aeoledger/aeoledger/network/profile"
	"github.com/aeoledger/aeoledger/workers/audit/bundle"
)

// This file shows the evidence features on the Fabric network: `aeoledger
// ledger verify` (issue 5, part 4) and evidence bundles built over a Fabric
// peer's Deliver service and verified offline (issue 7). Both use the same
// code as on the embedded peer: network/nledger.VerifyChain and package
// bundle.

// verifyResult is the JSON `aeoledger ledger verify --json` prints (the
// command's Result type lives in an internal package of cmd/aeoledger).
type verifyResult struct {
	Channel           string   `json:"channel"`
	OK                bool     `json:"ok"`
	FirstBlock        uint64   `json:"firstBlock"`
	Blocks            uint64   `json:"blocks"`
	Transactions      int      `json:"transactions"`
	ValidTransactions int      `json:"validTransactions"`
	LastHash          string   `json:"lastHash"`
	Signers           []string `json:"signers"`
	TrustedOrderers   []string `json:"trustedOrderers"`
	Failure           string   `json:"failure"`
	FailedBlock       *uint64  `json:"failedBlock"`
	FailedCheck       string   `json:"failedCheck"`
}

// buildCLI builds the aeoledger command into a temporary folder.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "aeoledger")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/aeoledger")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "building the aeoledger CLI: %s", out)
	return bin
}

// runCLI runs the CLI and returns its stdout, stderr and exit code.
func runCLI(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AEOLEDGER_PROFILE=", "AEOLEDGER_MSP=", "AEOLEDGER_IDENTITY=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &exitErr):
		return stdout.String(), stderr.String(), exitErr.ExitCode()
	}
	require.NoError(t, err, "running %s %v", bin, args)
	return "", "", -1
}

// absoluteProfile reloads the network's profile with every path made
// absolute, so that an edited copy can be saved in another folder.
func absoluteProfile(t *testing.T, n *fabricNet) *profile.Profile {
	t.Helper()
	p, err := profile.Load(filepath.Join(n.prof.Dir(), "connection.yaml"))
	require.NoError(t, err)
	p.Gateway.TLSCACert = p.Resolve(p.Gateway.TLSCACert)
	for id, org := range p.Orgs {
		org.MSP = p.Resolve(org.MSP)
		for name, ip := range org.Identities {
			org.Identities[name] = profile.IdentityPath{Cert: p.Resolve(ip.Cert), Key: p.Resolve(ip.Key)}
		}
		p.Orgs[id] = org
	}
	for _, nodes := range [][]profile.Node{p.Orderers, p.Peers} {
		for i := range nodes {
			nodes[i].TLSCACert, nodes[i].MSP = p.Resolve(nodes[i].TLSCACert), p.Resolve(nodes[i].MSP)
		}
	}
	return p
}

// saveProfile writes p into a fresh folder and returns its path.
func saveProfile(t *testing.T, p *profile.Profile) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "connection.yaml")
	require.NoError(t, p.Save(path))
	return path
}

// sdkClient connects the aeoledger SDK to the network as msp/name.
func sdkClient(t *testing.T, n *fabricNet, mspID, name string) *sdk.Client {
	t.Helper()
	c, err := sdk.ConnectProfile(n.prof, mspID, name)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// readChain reads every block of the channel through Deliver.
func readChain(ctx context.Context, t *testing.T, c *sdk.Client) []*common.Block {
	t.Helper()
	var blocks []*common.Block
	for blk, err := range c.BlockRange(ctx, 0) {
		require.NoError(t, err)
		blocks = append(blocks, blk)
	}
	require.NotEmpty(t, blocks)
	return blocks
}

// ordererSigners lists "MSPID/CN" of every orderer's signing certificate in
// the network's crypto material, as the verifier names block signers.
func ordererSigners(t *testing.T, n *fabricNet) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(n.runDir, "crypto", "ordererOrganizations", "*", "orderers", "*", "msp", "signcerts", "*.pem"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, "no orderer signing certificates under %s", n.runDir)
	mspID := n.prof.Orderers[0].MSPID
	var out []string
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		require.NoError(t, err)
		certs, err := msp.ParseCertificatesPEM(raw)
		require.NoError(t, err)
		out = append(out, mspID+"/"+certs[0].Subject.CommonName)
	}
	slices.Sort(out)
	return out
}

// TestLedgerVerifyChecksTheFabricChain runs the real `aeoledger ledger
// verify` against the Fabric network's profile: it reads the channel's
// blocks from the Exporter's peer through Deliver and checks hash links,
// data hashes and the orderer's signature on every block against the
// orderer org's MSP folder named in the profile.
func TestLedgerVerifyChecksTheFabricChain(t *testing.T) {
	n := requireNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := buildCLI(t)
	chain := readChain(ctx, t, sdkClient(t, n, "ExporterMSP", "user1"))
	last := chain[len(chain)-1]
	txs, valid := 0, 0
	for _, blk := range chain {
		txs += len(blk.GetData().GetData())
		for _, f := range nledger.TxValidationFlags(blk) {
			if f == peer.TxValidationCode_VALID {
				valid++
			}
		}
	}
	ordererMSP := n.prof.Orderers[0].MSPID
	signers := ordererSigners(t, n)

	realProfile := filepath.Join(n.prof.Dir(), "connection.yaml")
	foreignCA := absoluteProfile(t, n)
	for i := range foreignCA.Orderers {
		foreignCA.Orderers[i].MSP = foreignCA.Orgs["ExporterMSP"].MSP
	}
	renamed := absoluteProfile(t, n)
	for i := range renamed.Orderers {
		renamed.Orderers[i].MSPID, renamed.Orderers[i].MSP = "ExporterMSP", renamed.Orgs["ExporterMSP"].MSP
	}
	noMSP := absoluteProfile(t, n)
	for i := range noMSP.Orderers {
		noMSP.Orderers[i].MSP = ""
	}

	cases := []struct {
		name    string
		profile string
		args    []string
		check   func(t *testing.T, stdout, stderr string, code int)
	}{
		{"the untampered chain verifies when the unsigned genesis block is accepted", realProfile, []string{"--unsigned-genesis", "--json"},
			func(t *testing.T, stdout, stderr string, code int) {
				require.Equal(t, 0, code, "stderr: %s", stderr)
				var r verifyResult
				require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
				assert.True(t, r.OK)
				assert.Equal(t, n.prof.Channel, r.Channel)
				assert.Equal(t, uint64(0), r.FirstBlock)
				assert.Equal(t, uint64(len(chain)), r.Blocks, "every block up to the head is checked")
				assert.Equal(t, txs, r.Transactions)
				assert.Equal(t, valid, r.ValidTransactions)
				assert.Equal(t, hex.EncodeToString(nledger.BlockHeaderHash(last.GetHeader())), r.LastHash)
				require.NotEmpty(t, r.Signers)
				assert.Subset(t, signers, r.Signers, "the blocks are signed by the orderer org's orderers")
				assert.Equal(t, []string{ordererMSP}, r.TrustedOrderers)
				assert.Empty(t, r.Failure)
			}},
		{"the human-readable report names the orderer org the signatures chain to", realProfile, []string{"--unsigned-genesis"},
			func(t *testing.T, stdout, stderr string, code int) {
				require.Equal(t, 0, code, "stderr: %s", stderr)
				assert.Contains(t, stdout, "ledger "+n.prof.Channel+" VERIFIED: blocks 0-")
				assert.Contains(t, stdout, "every block signed by "+ordererMSP+"/")
				assert.Contains(t, stdout, ", chaining to the trusted orderer CA(s) "+ordererMSP+"\n")
			}},
		{"without --unsigned-genesis block 0 is refused, since configtxgen does not sign it", realProfile, []string{"--json"},
			func(t *testing.T, stdout, stderr string, code int) {
				assert.Equal(t, 9, code)
				var r verifyResult
				require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
				assert.False(t, r.OK)
				require.NotNil(t, r.FailedBlock)
				assert.Equal(t, uint64(0), *r.FailedBlock)
				assert.Equal(t, nledger.CheckSignature, r.FailedCheck)
				assert.Contains(t, r.Failure, "block is not signed")
			}},
		{"an orderer MSP folder holding another org's CA refuses the orderer's signature", saveProfile(t, foreignCA), []string{"--unsigned-genesis", "--json"},
			func(t *testing.T, stdout, stderr string, code int) {
				assert.Equal(t, 9, code)
				var r verifyResult
				require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
				assert.False(t, r.OK)
				require.NotNil(t, r.FailedBlock)
				assert.Equal(t, uint64(1), *r.FailedBlock, "the genesis block passes unsigned, the first signed block fails")
				assert.Equal(t, nledger.CheckSigner, r.FailedCheck)
				assert.Contains(t, r.Failure, "signer check failed")
				assert.Contains(t, r.Failure, "by "+ordererMSP)
				assert.Contains(t, r.Failure, "rule=must chain to the MSP's CA")
				assert.Contains(t, stderr, "signer check failed")
			}},
		{"an orderer org listed under another MSP ID is not trusted", saveProfile(t, renamed), []string{"--unsigned-genesis", "--json"},
			func(t *testing.T, stdout, stderr string, code int) {
				assert.Equal(t, 9, code)
				var r verifyResult
				require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
				require.NotNil(t, r.FailedBlock)
				assert.Equal(t, uint64(1), *r.FailedBlock)
				assert.Equal(t, nledger.CheckSigner, r.FailedCheck)
				assert.Contains(t, r.Failure, "signer MSP "+ordererMSP+" is not a trusted orderer organisation [ExporterMSP]")
			}},
		{"a profile that names no orderer MSP folder is refused before reading blocks", saveProfile(t, noMSP), []string{"--unsigned-genesis", "--json"},
			func(t *testing.T, stdout, stderr string, code int) {
				assert.Equal(t, 9, code)
				assert.Empty(t, stdout)
				assert.Contains(t, stderr, `field=orderers value="" rule=the profile must list the orderer organisations with their MSP folder (orderers[].msp)`)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"ledger", "verify", "--profile", tc.profile, "--msp", "ExporterMSP"}, tc.args...)
			stdout, stderr, code := runCLI(t, bin, args...)
			tc.check(t, stdout, stderr, code)
		})
	}
}

// TestVerifyChainCatchesTamperedFabricBlocks feeds the blocks a Fabric peer
// delivered to network/nledger.VerifyChain, the check behind `ledger verify`
// on both ledgers, with the orderer MSP from the Fabric crypto material as
// the only trusted signer: untouched, every block after the unsigned
// genesis has its orderer signature checked; each kind of change to one
// block is named by its check.
func TestVerifyChainCatchesTamperedFabricBlocks(t *testing.T) {
	n := requireNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	chain := readChain(ctx, t, sdkClient(t, n, "ExporterMSP", "user1"))
	require.GreaterOrEqual(t, len(chain), 3, "the chain needs the genesis block and two more (network.sh deploy writes some)")
	orderer := n.prof.Orderers[0]
	ordererMSP, err := msp.Load(orderer.MSPID, n.prof.Resolve(orderer.MSP))
	require.NoError(t, err)

	// No VerifyOptions.Consenters: on SmartBFT, VerifyChain takes the
	// consenter set from the genesis block it has just checked.
	verify := func(blocks []*common.Block) (*nledger.Report, []uint64, error) {
		var signed []uint64
		rep, err := nledger.VerifyChain(nledger.Blocks(blocks), nledger.VerifyOptions{UnsignedGenesis: true,
			CheckSigner: func(block uint64, _ time.Time, mspID string, cert *x509.Certificate) error {
				if mspID != orderer.MSPID {
					return errors.New("not the orderer org")
				}
				role, err := ordererMSP.Validate(cert, time.Now())
				if err != nil {
					return err
				}
				if role != msp.RoleOrderer {
					return errors.New("signer is not an orderer")
				}
				if !slices.Contains(signed, block) { // SmartBFT: a quorum of orderers signs each block
					signed = append(signed, block)
				}
				return nil
			}})
		return rep, signed, err
	}

	t.Run("the untouched chain verifies and every block after genesis carries the orderer's signature", func(t *testing.T) {
		rep, signed, err := verify(chain)
		require.NoError(t, err)
		assert.Equal(t, uint64(len(chain)), rep.Blocks)
		var want []uint64
		for i := 1; i < len(chain); i++ {
			want = append(want, uint64(i))
		}
		assert.Equal(t, want, signed)
	})

	t.Run("the genesis block's consenter set names every orderer on SmartBFT and none on Raft", func(t *testing.T) {
		consenters, err := nledger.ConsentersFromConfigBlock(chain[0])
		require.NoError(t, err)
		var names []string
		for _, raw := range consenters {
			id := &mspproto.SerializedIdentity{}
			require.NoError(t, proto.Unmarshal(raw, id))
			certs, err := msp.ParseCertificatesPEM(id.GetIdBytes())
			require.NoError(t, err)
			names = append(names, id.GetMspid()+"/"+certs[0].Subject.CommonName)
		}
		slices.Sort(names)
		if consensus(t, n) == "bft" {
			assert.Equal(t, ordererSigners(t, n), names)
			assert.NotEmpty(t, nledger.ConsenterIDs(chain[newestBlock(chain)]), "SmartBFT orderers sign with identifier headers")
		} else {
			assert.Empty(t, names)
			assert.Empty(t, nledger.ConsenterIDs(chain[newestBlock(chain)]))
		}
	})

	t.Run("a chain read from a later block verifies with the consenters of the config block it names as last config", func(t *testing.T) {
		from := newestBlock(chain)
		last, ok := nledger.LastConfigIndex(chain[from])
		require.True(t, ok, "block %d names its last config block", from)
		consenters, err := nledger.ConsentersFromConfigBlock(chain[last])
		require.NoError(t, err)
		rep, err := nledger.VerifyChain(nledger.Blocks(chain[from:]), nledger.VerifyOptions{
			PreviousHash: nledger.BlockHeaderHash(chain[from-1].GetHeader()), Consenters: consenters})
		require.NoError(t, err)
		assert.Equal(t, uint64(from), rep.FirstBlock)
		if consensus(t, n) == "bft" {
			_, err := nledger.VerifyChain(nledger.Blocks(chain[from:]), nledger.VerifyOptions{
				PreviousHash: nledger.BlockHeaderHash(chain[from-1].GetHeader())})
			var ve *nledger.VerifyError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, nledger.CheckSigner, ve.Check)
			assert.Contains(t, err.Error(), "unknown consenter")
		}
	})

	target := len(chain) - 1 // the newest block: a chaincode transaction of deploy or of a test
	cases := []struct {
		name    string
		edit    func(blk *common.Block)
		block   int    // the block edited
		failsAt uint64 // the block the verifier names
		check   string
	}{
		{"a changed previous hash breaks the hash link", func(blk *common.Block) { blk.Header.PreviousHash[0] ^= 1 }, target, uint64(target), nledger.CheckPreviousHash},
		{"a changed byte in a transaction fails the data hash", func(blk *common.Block) { blk.Data.Data[0][len(blk.Data.Data[0])/2] ^= 1 }, target, uint64(target), nledger.CheckDataHash},
		{"a changed data hash in the header fails the data hash", func(blk *common.Block) { blk.Header.DataHash[0] ^= 1 }, target, uint64(target), nledger.CheckDataHash},
		{"a changed transaction with its data hash recomputed fails the orderer's signature over the header", func(blk *common.Block) {
			blk.Data.Data[0] = append(blk.Data.Data[0], 0x0a, 0x00)
			blk.Header.DataHash = nledger.BlockDataHash(blk.Data)
		}, target, uint64(target), nledger.CheckSignature},
		{"a changed header in the middle of the chain breaks the next block's link", func(blk *common.Block) {
			blk.Data.Data[0] = append(blk.Data.Data[0], 0x0a, 0x00)
			blk.Header.DataHash = nledger.BlockDataHash(blk.Data)
			blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = nil
		}, 0, 1, nledger.CheckPreviousHash},
		{"a changed byte in the orderer's signature fails the signature", func(blk *common.Block) {
			md := &common.Metadata{}
			require.NoError(t, proto.Unmarshal(blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], md))
			md.Signatures[0].Signature[8] ^= 1
			blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], _ = proto.Marshal(md)
		}, target, uint64(target), nledger.CheckSignature},
		{"a block whose signature metadata was removed is not signed", func(blk *common.Block) {
			blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = nil
		}, target, uint64(target), nledger.CheckSignature},
		{"validation flags for the wrong number of transactions fail the flags", func(blk *common.Block) {
			blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = append(blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER], 0)
		}, target, uint64(target), nledger.CheckFlags},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			blocks := make([]*common.Block, len(chain))
			for i, b := range chain {
				blocks[i] = proto.Clone(b).(*common.Block)
			}
			tc.edit(blocks[tc.block])
			_, _, err := verify(blocks)
			var ve *nledger.VerifyError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.failsAt, ve.Block)
			assert.Equal(t, tc.check, ve.Check, "%v", err)
			assert.ErrorIs(t, err, nledger.ErrVerify)
		})
	}

	t.Run("a block signed by a peer instead of the orderer fails the signer check", func(t *testing.T) {
		// Re-sign the newest block's header with the Exporter peer's key:
		// the signature verifies, but the signer is not the orderer org.
		peerDir, err := filepath.Glob(filepath.Join(n.runDir, "crypto", "peerOrganizations", "exporter.*", "peers", "*", "msp"))
		require.NoError(t, err)
		require.Len(t, peerDir, 1)
		signer, err := msp.LoadSigningIdentity("ExporterMSP", peerDir[0])
		require.NoError(t, err)
		creator, err := signer.Serialize()
		require.NoError(t, err)
		blocks := make([]*common.Block, len(chain))
		for i, b := range chain {
			blocks[i] = proto.Clone(b).(*common.Block)
		}
		blk := blocks[target]
		md := &common.Metadata{}
		require.NoError(t, proto.Unmarshal(blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], md))
		sh, err := proto.Marshal(&common.SignatureHeader{Creator: creator, Nonce: []byte("forged-nonce")})
		require.NoError(t, err)
		sig, err := signer.Sign(slices.Concat(md.Value, sh, nledger.BlockHeaderBytes(blk.Header)))
		require.NoError(t, err)
		md.Signatures = []*common.MetadataSignature{{SignatureHeader: sh, Signature: sig}}
		blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], err = proto.Marshal(md)
		require.NoError(t, err)
		_, _, err = verify(blocks)
		var ve *nledger.VerifyError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, uint64(target), ve.Block)
		assert.Equal(t, nledger.CheckSigner, ve.Check, "%v", err)
		assert.Contains(t, err.Error(), "by ExporterMSP")
	})
}

// fabricCAs loads the MSP folders the profile names for every peer org and
// orderer org: the org CAs an evidence bundle carries.
func fabricCAs(t *testing.T, n *fabricNet) *msp.Manager {
	t.Helper()
	var msps []*msp.MSP
	for _, id := range n.prof.OrgIDs() {
		m, err := msp.Load(id, n.prof.Resolve(n.prof.Orgs[id].MSP))
		require.NoError(t, err)
		msps = append(msps, m)
	}
	seen := map[string]bool{}
	for _, o := range n.prof.Orderers {
		if seen[o.MSPID] {
			continue // with --bft, four orderers of one org
		}
		seen[o.MSPID] = true
		m, err := msp.Load(o.MSPID, n.prof.Resolve(o.MSP))
		require.NoError(t, err)
		msps = append(msps, m)
	}
	mgr, err := msp.NewManager(msps...)
	require.NoError(t, err)
	return mgr
}

// genesisAnchor is the trust anchor an auditor takes from the channel's
// genesis block file, which network.sh created with configtxgen, not from
// any peer.
func genesisAnchor(t *testing.T, n *fabricNet) bundle.TrustAnchor {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(n.runDir, "channel", n.prof.Channel+".block"))
	require.NoError(t, err)
	blk := &common.Block{}
	require.NoError(t, proto.Unmarshal(raw, blk))
	require.Equal(t, uint64(0), blk.GetHeader().GetNumber())
	return bundle.AnchorOf(blk.GetHeader())
}

// reencode decodes a bundle file, lets edit change it and encodes it again
// with a matching digest, as a forger would: only the signatures and hash
// links can then catch the change.
func reencode(t *testing.T, raw []byte, edit func(b *bundle.Bundle)) []byte {
	t.Helper()
	b := &bundle.Bundle{}
	require.NoError(t, json.Unmarshal(raw, b))
	edit(b)
	out, err := b.Encode()
	require.NoError(t, err)
	return out
}

func bundleItem(t *testing.T, b *bundle.Bundle, kind string) *bundle.Item {
	t.Helper()
	for i := range b.Items {
		if b.Items[i].Kind == kind {
			return &b.Items[i]
		}
	}
	require.Failf(t, "no item", "the bundle has no %s", kind)
	return nil
}

func bundleBlock(t *testing.T, b *bundle.Bundle, num uint64) *bundle.Block {
	t.Helper()
	for i := range b.Blocks {
		if b.Blocks[i].Number == num {
			return &b.Blocks[i]
		}
	}
	require.Failf(t, "no block", "the bundle has no block %d", num)
	return nil
}

// editEndorsement flips a byte of the first endorsement signature of the
// transaction at block/index.
func editEndorsement(t *testing.T, blk *bundle.Block, index int) {
	t.Helper()
	env := &common.Envelope{}
	require.NoError(t, proto.Unmarshal(blk.Data[index], env))
	pl := &common.Payload{}
	require.NoError(t, proto.Unmarshal(env.Payload, pl))
	ptx := &peer.Transaction{}
	require.NoError(t, proto.Unmarshal(pl.Data, ptx))
	cap := &peer.ChaincodeActionPayload{}
	require.NoError(t, proto.Unmarshal(ptx.Actions[0].Payload, cap))
	cap.Action.Endorsements[0].Signature[10] ^= 1
	var err error
	ptx.Actions[0].Payload, err = proto.Marshal(cap)
	require.NoError(t, err)
	pl.Data, err = proto.Marshal(ptx)
	require.NoError(t, err)
	env.Payload, err = proto.Marshal(pl)
	require.NoError(t, err)
	blk.Data[index], err = proto.Marshal(env)
	require.NoError(t, err)
}

// TestEvidenceBundleFromFabricVerifiesOffline records a short journey on
// the Fabric network (two partners, a shipment, two touchpoints signed by
// the carrier), builds the shipment's evidence bundle over the Exporter
// peer's Deliver service with the org CAs of the Fabric crypto material,
// writes it, and verifies the file with no network access, anchored at the
// channel's genesis block. Fabric's own traits are all in play: an unsigned
// genesis block, validation flags the orderer did not sign, endorsements by
// 2 of the 3 orgs (MAJORITY) and Raft block signatures over
// OrdererBlockMetadata. Each kind of tampering is named by its category.
func TestEvidenceBundleFromFabricVerifiesOffline(t *testing.T) {
	n := requireNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	s := setUpScenario(ctx, t, n)
	recordIDs := recordTouchpoints(ctx, t, n.contract(t, "ExporterMSP", "user1"), s, 2)

	c := sdkClient(t, n, "ExporterMSP", "user1")
	b, err := bundle.Build(ctx, bundle.SourceFunc(c.BlockRange), bundle.Query{ShipmentID: s.shipmentID},
		bundle.BuildOptions{Orgs: bundle.MSPCAs(fabricCAs(t, n))})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "shipment.bundle.json")
	fileHash, err := b.WriteFile(path)
	require.NoError(t, err)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	genesis := genesisAnchor(t, n)

	t.Run("the bundle holds the shipment, its touchpoints and the signers' partner records, from Fabric blocks", func(t *testing.T) {
		assert.Equal(t, n.prof.Channel, b.Channel)
		require.NotEmpty(t, b.Headers)
		assert.Equal(t, uint64(0), b.Headers[0].Number, "the header chain starts at the unsigned genesis block")
		kinds := map[string][]string{}
		for _, it := range b.Items {
			kinds[it.Kind] = append(kinds[it.Kind], it.ID)
			assert.Equal(t, peer.TxValidationCode_VALID.String(), it.ValidationCode, "%s %s", it.Kind, it.ID)
		}
		assert.Equal(t, []string{s.shipmentID}, kinds[bundle.KindShipment])
		assert.ElementsMatch(t, recordIDs, kinds[bundle.KindTouchpoint])
		assert.Equal(t, []string{s.carrier.partner.ID}, kinds[bundle.KindPartner], "the carrier's key signed the touchpoints")
		for _, blk := range b.Blocks {
			assert.Empty(t, blk.Flags, "Fabric's validation flags are not signed by the orderer, so block %d carries none", blk.Number)
			assert.NotEqual(t, uint64(0), blk.Number)
		}
		var orgs []string
		for _, o := range b.Orgs {
			orgs = append(orgs, o.MSPID)
		}
		assert.Contains(t, orgs, n.prof.Orderers[0].MSPID)
		assert.Contains(t, orgs, "ExporterMSP")
		if consensus(t, n) == "bft" {
			require.Len(t, b.ConfigBlocks, 1, "SmartBFT signatures name consenter IDs, defined by the genesis config block")
			assert.Equal(t, uint64(0), b.ConfigBlocks[0].Number)
		} else {
			assert.Empty(t, b.ConfigBlocks, "Raft signatures carry the orderer's certificate")
		}
	})

	t.Run("on SmartBFT a changed byte in the bundled config block fails it and the blocks whose consenters it names", func(t *testing.T) {
		if consensus(t, n) != "bft" {
			assert.Empty(t, b.ConfigBlocks)
			return
		}
		v := bundle.VerifyBytes(reencode(t, raw, func(b *bundle.Bundle) {
			d := b.ConfigBlocks[0].Data[0]
			d[len(d)/2] ^= 1
		}), genesis)
		require.False(t, v.OK)
		assert.Contains(t, strings.Join(v.Failures(), "\n"), "config block 0 data hashes to")
		assert.Contains(t, strings.Join(v.Failures(), "\n"), "failed its checks")
		v = bundle.VerifyBytes(reencode(t, raw, func(b *bundle.Bundle) { b.ConfigBlocks = nil }), genesis)
		require.False(t, v.OK)
		assert.Contains(t, v.FailedCategories(), bundle.CatSignature)
		assert.Contains(t, strings.Join(v.Failures(), "\n"), "the bundle holds no config block before it")
	})

	t.Run("the written file verifies offline, anchored at the genesis block", func(t *testing.T) {
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		v, err := bundle.Verify(f, genesis)
		require.NoError(t, err)
		require.True(t, v.OK, "failures: %v", v.Failures())
		assert.True(t, v.Anchored)
		assert.Equal(t, fileHash, v.FileSHA256)
		assert.Len(t, v.Items, len(b.Items))
		signers := ordererSigners(t, n)
		for _, it := range v.Items {
			var names []string
			endorsers := map[string]bool{}
			for _, c := range it.Checks {
				names = append(names, c.Name)
				if org, ok := strings.CutPrefix(c.Name, "endorsement by "); ok {
					endorsers[strings.Split(org, "/")[0]] = true
				}
			}
			assert.Contains(t, names, fmt.Sprintf("block %d chains to block 0", it.Block), "%s %s", it.Kind, it.ID)
			signedBy := slices.IndexFunc(names, func(name string) bool {
				return strings.HasPrefix(name, fmt.Sprintf("block %d signed by ", it.Block))
			})
			require.GreaterOrEqual(t, signedBy, 0, "%s %s has a block signature check", it.Kind, it.ID)
			for _, who := range strings.Split(strings.TrimPrefix(names[signedBy], fmt.Sprintf("block %d signed by ", it.Block)), ", ") {
				assert.Contains(t, signers, who, "block %d is signed by an orderer of the network", it.Block)
			}
			assert.Contains(t, names, "creator signature")
			assert.GreaterOrEqual(t, len(endorsers), 2, "%s %s is endorsed by a majority of the three orgs, got %v", it.Kind, it.ID, endorsers)
			if it.Kind == bundle.KindTouchpoint {
				assert.Contains(t, names, "signer key of partner "+s.carrier.partner.ID)
			}
		}
	})

	t.Run("the checkpoint block read from another org's peer anchors it too", func(t *testing.T) {
		p := *n.prof
		i := slices.IndexFunc(p.Peers, func(nd profile.Node) bool { return nd.MSPID == "CarrierMSP" })
		require.GreaterOrEqual(t, i, 0, "the profile lists the Carrier's peer")
		p.Gateway = p.Peers[i].Endpoint
		carrier, err := sdk.ConnectProfile(&p, "CarrierMSP", "user1")
		require.NoError(t, err)
		defer carrier.Close()
		var anchor bundle.TrustAnchor
		for blk, err := range carrier.BlockRange(ctx, b.Checkpoint.Block) {
			require.NoError(t, err)
			anchor = bundle.AnchorOf(blk.GetHeader())
			break
		}
		require.True(t, anchor.HasBlock, "the Carrier's peer has block %d", b.Checkpoint.Block)
		v := bundle.VerifyBytes(raw, anchor)
		assert.True(t, v.OK, "failures: %v", v.Failures())
		assert.True(t, v.Anchored)
		assert.Equal(t, anchor.String(), b.Checkpoint.String())
	})

	t.Run("pinned CA fingerprints from the crypto material are accepted, and a missing one is named", func(t *testing.T) {
		var pins []string
		var ordererPin string
		for _, id := range fabricCAs(t, n).MSPIDs() {
			m, _ := fabricCAs(t, n).MSP(id)
			for _, c := range m.RootCerts() {
				pins = append(pins, bundle.CertFingerprint(c.Raw))
				if id == n.prof.Orderers[0].MSPID {
					ordererPin = bundle.CertFingerprint(c.Raw)
				}
			}
		}
		v := bundle.VerifyBytes(raw, bundle.TrustAnchor{HasBlock: true, Block: genesis.Block, Hash: genesis.Hash, CAFingerprints: pins})
		assert.True(t, v.OK, "failures: %v", v.Failures())
		v = bundle.VerifyBytes(raw, bundle.TrustAnchor{HasBlock: true, Block: genesis.Block, Hash: genesis.Hash,
			CAFingerprints: slices.DeleteFunc(slices.Clone(pins), func(p string) bool { return p == ordererPin })})
		assert.False(t, v.OK)
		assert.Contains(t, v.FailedCategories(), bundle.CatCertificate)
		assert.Contains(t, strings.Join(v.Failures(), "\n"), "is not among the trusted fingerprints")
	})

	otherOrgCA := func(t *testing.T) string {
		m, ok := fabricCAs(t, n).MSP("CustomsMSP")
		require.True(t, ok)
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: m.RootCerts()[0].Raw}))
	}
	cases := []struct {
		name   string
		edit   func(t *testing.T, b *bundle.Bundle)
		anchor bundle.TrustAnchor
		want   string // the category that must be named
		reason string // a phrase the failure must contain
	}{
		{"a changed byte in a touchpoint fails the record", func(t *testing.T, b *bundle.Bundle) {
			it := bundleItem(t, b, bundle.KindTouchpoint)
			it.Value = json.RawMessage(strings.Replace(string(it.Value), `"DEHAM"`, `"DEHAN"`, 1))
		}, genesis, bundle.CatRecord, "differs from what transaction"},
		{"a changed byte in a block header breaks the block link", func(t *testing.T, b *bundle.Bundle) {
			h := &b.Headers[len(b.Headers)/2]
			h.DataHash = flipHex(h.DataHash)
		}, genesis, bundle.CatBlockLink, "previous hash"},
		{"a changed byte in the orderer's block signature fails the signature", func(t *testing.T, b *bundle.Bundle) {
			blk := bundleBlock(t, b, bundleItem(t, b, bundle.KindTouchpoint).Block)
			md := &common.Metadata{}
			require.NoError(t, proto.Unmarshal(blk.Signatures, md))
			md.Signatures[0].Signature[9] ^= 1
			var err error
			blk.Signatures, err = proto.MarshalOptions{Deterministic: true}.Marshal(md)
			require.NoError(t, err)
		}, genesis, bundle.CatSignature, "block signature"},
		{"a changed byte in an endorsement fails the endorsement", func(t *testing.T, b *bundle.Bundle) {
			it := bundleItem(t, b, bundle.KindTouchpoint)
			editEndorsement(t, bundleBlock(t, b, it.Block), it.TxIndex)
		}, genesis, bundle.CatSignature, "endorsement by"},
		{"a changed byte in the creator's signature fails the creator signature", func(t *testing.T, b *bundle.Bundle) {
			it := bundleItem(t, b, bundle.KindTouchpoint)
			blk := bundleBlock(t, b, it.Block)
			env := &common.Envelope{}
			require.NoError(t, proto.Unmarshal(blk.Data[it.TxIndex], env))
			env.Signature[12] ^= 1
			var err error
			blk.Data[it.TxIndex], err = proto.Marshal(env)
			require.NoError(t, err)
		}, genesis, bundle.CatSignature, "creator signature"},
		{"a transaction moved to another index fails the transaction", func(t *testing.T, b *bundle.Bundle) {
			it := bundleItem(t, b, bundle.KindTouchpoint)
			it.TxIndex = len(bundleBlock(t, b, it.Block).Data)
		}, genesis, bundle.CatTransaction, "no index"},
		{"an org CA replaced by another org's CA fails the certificate", func(t *testing.T, b *bundle.Bundle) {
			for i := range b.Orgs {
				if b.Orgs[i].MSPID == n.prof.Orderers[0].MSPID {
					b.Orgs[i].RootCerts = []string{otherOrgCA(t)}
				}
			}
		}, genesis, bundle.CatCertificate, "does not chain to the " + n.prof.Orderers[0].MSPID + " CA"},
		{"a trust anchor that is not this channel's genesis breaks the block link", func(*testing.T, *bundle.Bundle) {},
			bundle.TrustAnchor{HasBlock: true, Block: 0, Hash: flipBytes(genesis.Hash)}, bundle.CatBlockLink, "trust anchor says block 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := bundle.VerifyBytes(reencode(t, raw, func(b *bundle.Bundle) { tc.edit(t, b) }), tc.anchor)
			require.False(t, v.OK)
			assert.Contains(t, v.FailedCategories(), tc.want, "failures: %v", v.Failures())
			assert.Contains(t, strings.Join(v.Failures(), "\n"), tc.reason)
		})
	}

	t.Run("a flipped byte left in the file fails the bundle's digest or encoding", func(t *testing.T) {
		for _, pos := range []int{len(raw) / 5, len(raw) / 2, len(raw) * 4 / 5} {
			flipped := slices.Clone(raw)
			flipped[pos] ^= 0x01
			v := bundle.VerifyBytes(flipped, genesis)
			assert.False(t, v.OK, "byte %d", pos)
			assert.Contains(t, v.FailedCategories(), bundle.CatBundle, "byte %d: %v", pos, v.Failures())
		}
	})
}

// flipHex changes the first hex digit of s to another lowercase hex digit.
func flipHex(s string) string {
	b := []byte(s)
	if b[0] == '0' {
		b[0] = '1'
	} else {
		b[0] = '0'
	}
	return string(b)
}

// flipBytes returns a copy of b with the first bit flipped.
func flipBytes(b []byte) []byte {
	out := slices.Clone(b)
	out[0] ^= 1
	return out
}

// newestBlock is the newest block of a chain: a chaincode transaction of deploy
// or of a test.
func newestBlock(chain []*common.Block) int { return len(chain) - 1 }

// consensus is the ordering the running network was started with ("bft"
// or "etcdraft"), from the network.env that network.sh up writes.
func consensus(t *testing.T, n *fabricNet) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(n.runDir, "network.env"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "CONSENSUS="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	require.Fail(t, "network.env names no CONSENSUS")
	return ""
}
