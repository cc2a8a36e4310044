// Package blockstest builds real Fabric-format blocks (common.Block with
// signed envelopes, endorsements, read-write sets, chaincode events and a
// TRANSACTIONS_FILTER) for tests and benchmarks of code that reads the
// ledger, without running a peer.
//
// The message layout follows what a Fabric peer commits: Envelope ->
// Payload{Header{ChannelHeader, SignatureHeader}, Transaction} ->
// TransactionAction -> ChaincodeActionPayload{ChaincodeProposalPayload,
// ChaincodeEndorsedAction} -> ProposalResponsePayload -> ChaincodeAction
// {Results: TxReadWriteSet, Events: ChaincodeEvent}. Headers are hash
// chained the way Fabric does it (SHA-256 of the ASN.1 header), so the
// blocks also serve chain-verification code.
package blockstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/aeoledger/aeoledger/network/ledger"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// DefaultChannel and DefaultChaincode are the project's channel and
// chaincode names, used when a Tx leaves them empty.
const (
	DefaultChannel   = "aeo"
	DefaultChaincode = "aeoledger"
	DefaultMSPID     = "ExporterMSP"
)

// Write is one key of a transaction's write set.
type Write struct {
	Namespace string // defaults to the transaction's chaincode
	Key       string
	Value     []byte
	IsDelete  bool
}

// Tx describes one endorser transaction. Zero fields get defaults.
type Tx struct {
	ID        string // defaults to a Fabric-style hex(SHA-256(nonce||creator))
	Channel   string
	Timestamp time.Time // defaults to a fixed time plus the block number
	MSPID     string
	Chaincode string
	Args      []string
	// EventName empty means the transaction sets no chaincode event.
	EventName    string
	EventPayload []byte
	Writes       []Write
	// Code is the validation code the peer assigned (VALID by default).
	Code peer.TxValidationCode
	// Config makes this a CONFIG transaction (like a channel genesis
	// block's); chaincode fields are ignored.
	Config bool
}

// Chain builds consecutive, hash-chained blocks starting at block 0. It is
// safe for concurrent use.
type Chain struct {
	mu       sync.Mutex
	next     uint64
	prevHash []byte
	signers  map[string]*signer
}

// NewChain returns a builder whose first block is number 0.
func NewChain() *Chain {
	return &Chain{signers: map[string]*signer{}}
}

// Next returns the number the next built block will have.
func (c *Chain) Next() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.next
}

// Add builds the next block holding txs, in order.
func (c *Chain) Add(txs ...Tx) (*common.Block, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	number := c.next
	data := make([][]byte, len(txs))
	filter := make([]byte, len(txs))
	for i, tx := range txs {
		env, err := c.envelope(number, i, tx)
		if err != nil {
			return nil, fmt.Errorf("building block %d tx %d: %w", number, i, err)
		}
		raw, err := proto.Marshal(env)
		if err != nil {
			return nil, fmt.Errorf("marshalling block %d tx %d: %w", number, i, err)
		}
		data[i] = raw
		filter[i] = byte(tx.Code)
	}
	blockData := &common.BlockData{Data: data}
	header := &common.BlockHeader{Number: number, PreviousHash: c.prevHash, DataHash: ledger.BlockDataHash(blockData)}
	meta := make([][]byte, len(common.BlockMetadataIndex_name))
	meta[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = filter
	block := &common.Block{
		Header:   header,
		Data:     blockData,
		Metadata: &common.BlockMetadata{Metadata: meta},
	}
	c.prevHash = ledger.BlockHeaderHash(header)
	c.next++
	return block, nil
}

// MustAdd is Add for tests: it panics on error, which only a broken
// builder can cause.
func (c *Chain) MustAdd(txs ...Tx) *common.Block {
	b, err := c.Add(txs...)
	if err != nil {
		panic(err)
	}
	return b
}

// Cert returns the PEM certificate the chain uses for mspID's creator.
func (c *Chain) Cert(mspID string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.signer(mspID)
	if err != nil {
		return nil, err
	}
	return s.certPEM, nil
}

func (c *Chain) envelope(number uint64, index int, tx Tx) (*common.Envelope, error) {
	if tx.Channel == "" {
		tx.Channel = DefaultChannel
	}
	if tx.MSPID == "" {
		tx.MSPID = DefaultMSPID
	}
	if tx.Chaincode == "" {
		tx.Chaincode = DefaultChaincode
	}
	if tx.Timestamp.IsZero() {
		tx.Timestamp = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(number) * time.Second)
	}
	s, err := c.signer(tx.MSPID)
	if err != nil {
		return nil, err
	}
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: tx.MSPID, IdBytes: s.certPEM})
	if err != nil {
		return nil, fmt.Errorf("marshalling creator: %w", err)
	}
	// A deterministic nonce keeps blocks reproducible between runs.
	var seed [16]byte
	binary.BigEndian.PutUint64(seed[:8], number)
	binary.BigEndian.PutUint64(seed[8:], uint64(index))
	nonceSum := sha256.Sum256(seed[:])
	nonce := nonceSum[:24]
	if tx.ID == "" {
		tx.ID = ledger.ComputeTxID(nonce, creator)
	}
	headerType := common.HeaderType_ENDORSER_TRANSACTION
	if tx.Config {
		headerType = common.HeaderType_CONFIG
	}
	chdr, err := proto.Marshal(&common.ChannelHeader{
		Type:      int32(headerType),
		ChannelId: tx.Channel,
		TxId:      tx.ID,
		Timestamp: timestamppb.New(tx.Timestamp),
	})
	if err != nil {
		return nil, fmt.Errorf("marshalling channel header: %w", err)
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: creator, Nonce: nonce})
	if err != nil {
		return nil, fmt.Errorf("marshalling signature header: %w", err)
	}
	var data []byte
	if tx.Config {
		data, err = proto.Marshal(&common.ConfigEnvelope{Config: &common.Config{Sequence: 0}})
	} else {
		data, err = endorserTransaction(tx, shdr, creator, s)
	}
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(&common.Payload{
		Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr},
		Data:   data,
	})
	if err != nil {
		return nil, fmt.Errorf("marshalling payload: %w", err)
	}
	sig, err := s.sign(payload)
	if err != nil {
		return nil, err
	}
	return &common.Envelope{Payload: payload, Signature: sig}, nil
}

func endorserTransaction(tx Tx, shdr, creator []byte, s *signer) ([]byte, error) {
	args := make([][]byte, len(tx.Args))
	for i, a := range tx.Args {
		args[i] = []byte(a)
	}
	input, err := proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		Type:        peer.ChaincodeSpec_GOLANG,
		ChaincodeId: &peer.ChaincodeID{Name: tx.Chaincode},
		Input:       &peer.ChaincodeInput{Args: args},
	}})
	if err != nil {
		return nil, fmt.Errorf("marshalling invocation spec: %w", err)
	}
	proposalPayload, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: input})
	if err != nil {
		return nil, fmt.Errorf("marshalling proposal payload: %w", err)
	}
	results, err := readWriteSet(tx)
	if err != nil {
		return nil, err
	}
	var events []byte
	if tx.EventName != "" {
		events, err = proto.Marshal(&peer.ChaincodeEvent{
			ChaincodeId: tx.Chaincode, TxId: tx.ID, EventName: tx.EventName, Payload: tx.EventPayload,
		})
		if err != nil {
			return nil, fmt.Errorf("marshalling chaincode event: %w", err)
		}
	}
	action, err := proto.Marshal(&peer.ChaincodeAction{
		Results:     results,
		Events:      events,
		Response:    &peer.Response{Status: 200},
		ChaincodeId: &peer.ChaincodeID{Name: tx.Chaincode, Version: "1.0"},
	})
	if err != nil {
		return nil, fmt.Errorf("marshalling chaincode action: %w", err)
	}
	proposalHash := sha256.Sum256(append(append([]byte{}, shdr...), proposalPayload...))
	prp, err := proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: proposalHash[:], Extension: action})
	if err != nil {
		return nil, fmt.Errorf("marshalling proposal response payload: %w", err)
	}
	endorsement, err := s.sign(append(append([]byte{}, prp...), creator...))
	if err != nil {
		return nil, err
	}
	actionPayload, err := proto.Marshal(&peer.ChaincodeActionPayload{
		ChaincodeProposalPayload: proposalPayload,
		Action: &peer.ChaincodeEndorsedAction{
			ProposalResponsePayload: prp,
			Endorsements:            []*peer.Endorsement{{Endorser: creator, Signature: endorsement}},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("marshalling chaincode action payload: %w", err)
	}
	out, err := proto.Marshal(&peer.Transaction{Actions: []*peer.TransactionAction{{Header: shdr, Payload: actionPayload}}})
	if err != nil {
		return nil, fmt.Errorf("marshalling transaction: %w", err)
	}
	return out, nil
}

// readWriteSet groups the writes by namespace, keeping first-seen order.
func readWriteSet(tx Tx) ([]byte, error) {
	var order []string
	byNS := map[string]*kvrwset.KVRWSet{}
	for _, w := range tx.Writes {
		ns := w.Namespace
		if ns == "" {
			ns = tx.Chaincode
		}
		set, ok := byNS[ns]
		if !ok {
			set = &kvrwset.KVRWSet{}
			byNS[ns] = set
			order = append(order, ns)
		}
		set.Writes = append(set.Writes, &kvrwset.KVWrite{Key: w.Key, Value: w.Value, IsDelete: w.IsDelete})
	}
	txrw := &rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV}
	for _, ns := range order {
		raw, err := proto.Marshal(byNS[ns])
		if err != nil {
			return nil, fmt.Errorf("marshalling write set of %q: %w", ns, err)
		}
		txrw.NsRwset = append(txrw.NsRwset, &rwset.NsReadWriteSet{Namespace: ns, Rwset: raw})
	}
	out, err := proto.Marshal(txrw)
	if err != nil {
		return nil, fmt.Errorf("marshalling read-write set: %w", err)
	}
	return out, nil
}

type signer struct {
	key     *ecdsa.PrivateKey
	certPEM []byte
}

func (s *signer) sign(msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, digest[:])
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return sig, nil
}

// signer returns (creating on first use) a self-signed P-256 identity for
// mspID. Callers hold c.mu.
func (c *Chain) signer(mspID string) (*signer, error) {
	if s, ok := c.signers[mspID]; ok {
		return s, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key for %s: %w", mspID, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(len(c.signers) + 1)),
		Subject:      pkix.Name{CommonName: "user1", Organization: []string{mspID}, OrganizationalUnit: []string{"client"}},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("creating certificate for %s: %w", mspID, err)
	}
	s := &signer{key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	c.signers[mspID] = s
	return s, nil
}
