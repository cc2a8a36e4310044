package ledger

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"iter"
	"math/big"
	"sort"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// Names of the checks VerifyChain reports in a *VerifyError.
const (
	CheckRead         = "read"          // the block could not be read
	CheckDecode       = "decode"        // the stored bytes are not a block
	CheckEncoding     = "encoding"      // stored bytes differ from the block's canonical encoding
	CheckNumber       = "number"        // blocks are not consecutive
	CheckPreviousHash = "previous-hash" // PreviousHash is not the previous header's hash
	CheckDataHash     = "data-hash"     // DataHash does not match the data
	CheckSignature    = "signature"     // block signature missing or not valid
	CheckSigner       = "signer"        // the signer was refused by VerifyOptions.CheckSigner
	CheckFlags        = "flags"         // validation flags do not match the transactions or the signed digest
	CheckTx           = "transaction"   // a valid transaction cannot be parsed
	CheckState        = "state"         // replayed state differs from the stored state
	CheckConfig       = "config"        // a config block's consenter set cannot be read
)

// VerifyError names the block and the check that failed.
type VerifyError struct {
	Block uint64
	Check string
	Err   error
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("block %d: %s check failed: %v", e.Block, e.Check, e.Err)
}

func (e *VerifyError) Unwrap() error { return e.Err }

// ErrVerify is wrapped by every *VerifyError's chain.
var ErrVerify = errors.New("chain verification failed")

func verifyErr(block uint64, check string, format string, args ...any) error {
	return &VerifyError{Block: block, Check: check, Err: fmt.Errorf("%w: "+format, append([]any{ErrVerify}, args...)...)}
}

// StateEntry is one key of a world state, for the replay comparison.
type StateEntry struct {
	Namespace string
	Key       string
	Value     []byte
	Version   Version
}

// VerifyOptions tune VerifyChain.
type VerifyOptions struct {
	// CheckSigner, if set, is called for every block signer whose signature
	// verified; returning an error fails the block with CheckSigner. Use it
	// to require a trusted orderer (its MSP ID and certificate chain). at is
	// the block's time (BlockTime): check the certificate's validity then,
	// not now, or evidence would stop verifying when a certificate expires.
	CheckSigner func(block uint64, at time.Time, mspID string, cert *x509.Certificate) error
	// UnsignedGenesis accepts a block 0 without signatures, as Fabric's
	// configtxgen genesis blocks are. The embedded ledger signs block 0, so
	// leave it false there.
	UnsignedGenesis bool
	// Consenters resolves BFT signatures that carry an IdentifierHeader
	// instead of a SignatureHeader: consenter ID -> marshalled
	// msp.SerializedIdentity. VerifyChain also takes the consenter set of
	// every config block it has checked (block 0, config updates; see
	// ConsentersFromConfigBlock) for the blocks after it; an ID listed here
	// wins over the config's. Set it when the sequence does not start at or
	// before the config block in force (ConsentersFromConfigBlock of the
	// block LastConfigIndex names).
	Consenters map[uint32][]byte
	// PreviousHash anchors a sequence that does not start at block 0: the
	// header hash of the block before the first one. Empty means the first
	// block's PreviousHash is trusted as given.
	PreviousHash []byte
	// State, if set, is compared with the state obtained by replaying the
	// write sets of all valid transactions from block 0 (the sequence must
	// start at block 0).
	State iter.Seq2[StateEntry, error]
}

// Report summarises a verified chain.
type Report struct {
	FirstBlock        uint64
	Blocks            uint64 // number of blocks checked
	Transactions      int
	ValidTransactions int
	LastHash          []byte   // header hash of the last block
	Signers           []string // distinct block signers as "MSPID/subject CN"
	StateChecked      bool
	StateKeys         int
}

// Blocks adapts a slice of blocks to VerifyChain's input.
func Blocks(blocks []*common.Block) iter.Seq2[*common.Block, error] {
	return func(yield func(*common.Block, error) bool) {
		for _, b := range blocks {
			if !yield(b, nil) {
				return
			}
		}
	}
}

// VerifyChain checks a sequence of Fabric blocks, from either ledger: that
// numbers are consecutive, each PreviousHash is the hash of the previous
// header, each DataHash matches the data, each block carries at least one
// orderer signature and every signature verifies (ECDSA over the
// certificate in the signature header, or for SmartBFT identifier headers
// the consenter's certificate from the last config block checked or
// opts.Consenters; low-S as Fabric requires) and is
// accepted by opts.CheckSigner, and that the validation flags hold one code
// per transaction (and, on embedded-ledger blocks, match the digest the
// orderer signed). With opts.State it also replays the valid write sets and
// compares the result. The first failure is returned as a *VerifyError
// naming the block and the check; the report covers the blocks before it.
func VerifyChain(blocks iter.Seq2[*common.Block, error], opts VerifyOptions) (*Report, error) {
	v := newVerifier(opts)
	for blk, err := range blocks {
		if err != nil {
			var ve *VerifyError
			if errors.As(err, &ve) {
				return v.report, err
			}
			return v.report, &VerifyError{Block: v.nextNum(), Check: CheckRead, Err: err}
		}
		if err := v.add(blk, nil); err != nil {
			return v.report, err
		}
	}
	if err := v.finish(opts.State); err != nil {
		return v.report, err
	}
	return v.report, nil
}

type replayKey struct{ ns, key string }

type replayValue struct {
	hash [32]byte
	ver  Version
}

type verifier struct {
	opts    VerifyOptions
	report  *Report
	started bool
	prev    *common.BlockHeader
	signers map[string]bool
	replay  map[replayKey]replayValue
	// consenters is the consenter set of the last config block checked.
	consenters map[uint32][]byte
}

func newVerifier(opts VerifyOptions) *verifier {
	v := &verifier{opts: opts, report: &Report{}, signers: map[string]bool{}}
	if opts.State != nil {
		v.replay = map[replayKey]replayValue{}
	}
	return v
}

func (v *verifier) nextNum() uint64 {
	if v.prev == nil {
		return 0
	}
	return v.prev.GetNumber() + 1
}

// add checks one block. raw, if given, is the stored encoding, which must
// be canonical so that no byte can change unnoticed.
func (v *verifier) add(blk *common.Block, raw []byte) error {
	hdr := blk.GetHeader()
	if hdr == nil {
		return verifyErr(v.nextNum(), CheckDecode, "block has no header")
	}
	n := hdr.GetNumber()
	if raw != nil {
		if err := checkCanonical(blk, raw); err != nil {
			return verifyErr(n, CheckEncoding, "%v", err)
		}
	}
	if !v.started {
		v.started = true
		v.report.FirstBlock = n
		if v.replay != nil && n != 0 {
			return verifyErr(n, CheckNumber, "state replay needs the chain from block 0")
		}
		switch {
		case n == 0 && len(hdr.GetPreviousHash()) != 0:
			return verifyErr(n, CheckPreviousHash, "genesis block has a previous hash")
		case len(v.opts.PreviousHash) > 0 && !bytes.Equal(hdr.GetPreviousHash(), v.opts.PreviousHash):
			return verifyErr(n, CheckPreviousHash, "got %x, want anchor %x", hdr.GetPreviousHash(), v.opts.PreviousHash)
		}
	} else {
		if n != v.prev.GetNumber()+1 {
			return verifyErr(n, CheckNumber, "follows block %d", v.prev.GetNumber())
		}
		if want := BlockHeaderHash(v.prev); !bytes.Equal(hdr.GetPreviousHash(), want) {
			return verifyErr(n, CheckPreviousHash, "got %x, want %x", hdr.GetPreviousHash(), want)
		}
	}
	if got := BlockDataHash(blk.GetData()); !bytes.Equal(got, hdr.GetDataHash()) {
		return verifyErr(n, CheckDataHash, "header says %x, data hashes to %x", hdr.GetDataHash(), got)
	}
	consenterMD, err := v.checkSignatures(blk)
	if err != nil {
		return err
	}
	flags := TxValidationFlags(blk)
	ntx := len(blk.GetData().GetData())
	if len(flags) != 0 && len(flags) != ntx {
		return verifyErr(n, CheckFlags, "%d flags for %d transactions", len(flags), ntx)
	}
	if bytes.HasPrefix(consenterMD, []byte(FlagsDigestPrefix)) {
		md := blk.GetMetadata().GetMetadata()[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
		if want := flagsConsenterMetadata(md); !bytes.Equal(consenterMD, want) {
			return verifyErr(n, CheckFlags, "validation flags do not match the digest the orderer signed")
		}
		if len(flags) != ntx {
			return verifyErr(n, CheckFlags, "%d flags for %d transactions", len(flags), ntx)
		}
	}
	if err := v.noteConfig(blk, flags); err != nil {
		return verifyErr(n, CheckConfig, "%v", err)
	}
	v.report.Transactions += ntx
	for i, env := range blk.GetData().GetData() {
		if len(flags) == 0 || flags[i] != peer.TxValidationCode_VALID {
			continue
		}
		v.report.ValidTransactions++
		if v.replay == nil {
			continue
		}
		tx, err := ParseEnvelopeBytes(env)
		if err != nil {
			return verifyErr(n, CheckTx, "transaction %d is flagged valid but does not parse: %v", i, err)
		}
		for _, ns := range tx.NsRWSets {
			for _, w := range ns.KV.GetWrites() {
				k := replayKey{ns.Namespace, w.GetKey()}
				if w.GetIsDelete() || len(w.GetValue()) == 0 {
					delete(v.replay, k)
					continue
				}
				v.replay[k] = replayValue{hash: sha256.Sum256(w.GetValue()), ver: Version{BlockNum: n, TxNum: uint64(i)}}
			}
		}
	}
	v.prev = hdr
	v.report.Blocks++
	v.report.LastHash = BlockHeaderHash(hdr)
	return nil
}

// checkCanonical makes sure stored bytes hold nothing the checks below do
// not look at: they must be the deterministic encoding of the block, with
// no unknown fields and exactly one entry per BlockMetadataIndex.
func checkCanonical(blk *common.Block, raw []byte) error {
	for _, m := range []proto.Message{blk, blk.GetHeader(), blk.GetData(), blk.GetMetadata()} {
		if len(m.ProtoReflect().GetUnknown()) > 0 {
			return fmt.Errorf("stored block has unknown fields")
		}
	}
	if got, want := len(blk.GetMetadata().GetMetadata()), len(common.BlockMetadataIndex_name); got != want {
		return fmt.Errorf("stored block has %d metadata entries, want %d", got, want)
	}
	again, err := proto.MarshalOptions{Deterministic: true}.Marshal(blk)
	if err != nil || !bytes.Equal(again, raw) {
		return fmt.Errorf("stored bytes are not the block's canonical encoding")
	}
	return nil
}

// BlockTime is the time a block's signer certificates must have been valid
// at: the newest transaction timestamp in it (Fabric blocks carry no time of
// their own; every envelope's channel header does). Only the envelopes'
// channel headers are decoded. A block with no readable timestamp gives
// the zero time.
func BlockTime(blk *common.Block) time.Time {
	var at time.Time
	for _, raw := range blk.GetData().GetData() {
		env, payload, ch := &common.Envelope{}, &common.Payload{}, &common.ChannelHeader{}
		if proto.Unmarshal(raw, env) != nil || proto.Unmarshal(env.GetPayload(), payload) != nil ||
			proto.Unmarshal(payload.GetHeader().GetChannelHeader(), ch) != nil || ch.GetTimestamp() == nil {
			continue
		}
		if ts := ch.GetTimestamp().AsTime(); ts.After(at) {
			at = ts
		}
	}
	return at
}

// checkSignatures verifies every signature of the block and returns the
// consenter metadata the orderer signed.
func (v *verifier) checkSignatures(blk *common.Block) ([]byte, error) {
	n := blk.GetHeader().GetNumber()
	var (
		at      time.Time // the block's time, worked out for the first CheckSigner call
		atKnown bool
	)
	mds := blk.GetMetadata().GetMetadata()
	md := &common.Metadata{}
	if len(mds) > int(common.BlockMetadataIndex_SIGNATURES) {
		if err := proto.Unmarshal(mds[common.BlockMetadataIndex_SIGNATURES], md); err != nil {
			return nil, verifyErr(n, CheckSignature, "decoding signature metadata: %v", err)
		}
	}
	if len(md.GetSignatures()) == 0 {
		if n == 0 && v.opts.UnsignedGenesis {
			return nil, nil
		}
		return nil, verifyErr(n, CheckSignature, "block is not signed")
	}
	headerBytes := BlockHeaderBytes(blk.GetHeader())
	for i, ms := range md.GetSignatures() {
		var creator, signedHdr []byte
		if len(ms.GetSignatureHeader()) == 0 && len(ms.GetIdentifierHeader()) > 0 {
			ih := &common.IdentifierHeader{}
			if err := proto.Unmarshal(ms.GetIdentifierHeader(), ih); err != nil {
				return nil, verifyErr(n, CheckSignature, "signature %d: decoding identifier header: %v", i, err)
			}
			creator = v.consenter(ih.GetIdentifier())
			if creator == nil {
				return nil, verifyErr(n, CheckSigner, "signature %d: unknown consenter %d (known: %v, from the last config block checked and VerifyOptions.Consenters)", i, ih.GetIdentifier(), v.knownConsenters())
			}
			signedHdr = ms.GetIdentifierHeader()
		} else {
			sh := &common.SignatureHeader{}
			if err := proto.Unmarshal(ms.GetSignatureHeader(), sh); err != nil {
				return nil, verifyErr(n, CheckSignature, "signature %d: decoding signature header: %v", i, err)
			}
			creator, signedHdr = sh.GetCreator(), ms.GetSignatureHeader()
		}
		mspID, cert, err := parseIdentity(creator)
		if err != nil {
			return nil, verifyErr(n, CheckSignature, "signature %d: %v", i, err)
		}
		if err := verifyECDSA(cert, concat(md.GetValue(), signedHdr, headerBytes), ms.GetSignature()); err != nil {
			return nil, verifyErr(n, CheckSignature, "signature %d by %s: %v", i, mspID, err)
		}
		if v.opts.CheckSigner != nil {
			if !atKnown {
				at, atKnown = BlockTime(blk), true
			}
			if err := v.opts.CheckSigner(n, at, mspID, cert); err != nil {
				return nil, verifyErr(n, CheckSigner, "signature %d by %s: %v", i, mspID, err)
			}
		}
		v.signers[mspID+"/"+cert.Subject.CommonName] = true
	}
	v.report.Signers = v.report.Signers[:0]
	for s := range v.signers {
		v.report.Signers = append(v.report.Signers, s)
	}
	sort.Strings(v.report.Signers)
	obm := &common.OrdererBlockMetadata{}
	if err := proto.Unmarshal(md.GetValue(), obm); err != nil || len(obm.GetConsenterMetadata()) == 0 {
		return nil, nil
	}
	cm := &common.Metadata{}
	if err := proto.Unmarshal(obm.GetConsenterMetadata(), cm); err != nil {
		return nil, nil
	}
	return cm.GetValue(), nil
}

// parseIdentity decodes a marshalled msp.SerializedIdentity holding a PEM
// certificate.
func parseIdentity(serialized []byte) (string, *x509.Certificate, error) {
	id := &mspproto.SerializedIdentity{}
	if err := proto.Unmarshal(serialized, id); err != nil {
		return "", nil, fmt.Errorf("decoding signer identity: %w", err)
	}
	block, _ := pem.Decode(id.GetIdBytes())
	if block == nil {
		return "", nil, fmt.Errorf("signer identity of %s holds no PEM certificate", id.GetMspid())
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", nil, fmt.Errorf("parsing signer certificate of %s: %w", id.GetMspid(), err)
	}
	return id.GetMspid(), cert, nil
}

type ecdsaSig struct{ R, S *big.Int }

// verifyECDSA checks an ASN.1 ECDSA signature over SHA-256(msg) and, like
// Fabric's BCCSP, refuses high-S signatures.
func verifyECDSA(cert *x509.Certificate, msg, sig []byte) error {
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("signer key is %T, want ECDSA", cert.PublicKey)
	}
	var rs ecdsaSig
	rest, err := asn1.Unmarshal(sig, &rs)
	if err != nil || len(rest) != 0 || rs.R == nil || rs.S == nil {
		return errors.New("malformed signature")
	}
	if rs.S.Cmp(halfOrder(pub.Curve)) > 0 {
		return errors.New("signature S is not low-S")
	}
	digest := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		return errors.New("signature does not verify")
	}
	return nil
}

func halfOrder(c elliptic.Curve) *big.Int {
	return new(big.Int).Rsh(c.Params().N, 1)
}

// finish compares the replayed state with the given one.
func (v *verifier) finish(state iter.Seq2[StateEntry, error]) error {
	if state == nil || v.replay == nil {
		return nil
	}
	last := uint64(0)
	if v.prev != nil {
		last = v.prev.GetNumber()
	}
	seen := 0
	for e, err := range state {
		if err != nil {
			return &VerifyError{Block: last, Check: CheckState, Err: fmt.Errorf("reading state: %w", err)}
		}
		want, ok := v.replay[replayKey{e.Namespace, e.Key}]
		if !ok {
			return verifyErr(last, CheckState, "stored key %s/%q was never written by a valid transaction", e.Namespace, e.Key)
		}
		if sha256.Sum256(e.Value) != want.hash {
			return verifyErr(last, CheckState, "stored value of %s/%q (sha256 %s) differs from the replayed one", e.Namespace, e.Key, shortHash(e.Value))
		}
		if e.Version != want.ver {
			return verifyErr(last, CheckState, "stored version of %s/%q is %v, replay gives %v", e.Namespace, e.Key, e.Version, want.ver)
		}
		seen++
	}
	if seen != len(v.replay) {
		return verifyErr(last, CheckState, "replay gives %d keys, the store holds %d", len(v.replay), seen)
	}
	v.report.StateChecked = true
	v.report.StateKeys = seen
	return nil
}

func shortHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8])
}

// Verify checks the whole chain of this ledger and that replaying its valid
// write sets gives its world state, all from one consistent snapshot.
// Unlike VerifyChain on decoded blocks, it also checks that each stored
// block is byte for byte its canonical encoding, so that no stored byte can
// change unnoticed. opts.State is ignored.
func (l *Ledger) Verify(opts VerifyOptions) (*Report, error) {
	snap, err := l.db.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("verifying ledger: %w", err)
	}
	defer func() { _ = snap.Rollback() }()
	height := decodeU64(snap.Bucket(bucketMeta).Get(metaHeight))
	return verifyStored(opts, height, snapshotBlocks(snap), snapshotState(snap))
}

// storedBlock is a block as kept in the blocks bucket.
type storedBlock struct {
	num uint64
	raw []byte
}

func snapshotBlocks(snap *bbolt.Tx) iter.Seq[storedBlock] {
	return func(yield func(storedBlock) bool) {
		c := snap.Bucket(bucketBlocks).Cursor()
		for k, raw := c.First(); k != nil; k, raw = c.Next() {
			if !yield(storedBlock{num: decodeU64(k), raw: raw}) {
				return
			}
		}
	}
}

// verifyStored verifies stored block encodings from block 0 up to height
// and compares the replayed state with state.
func verifyStored(opts VerifyOptions, height uint64, blocks iter.Seq[storedBlock], state iter.Seq2[StateEntry, error]) (*Report, error) {
	opts.State = state
	v := newVerifier(opts)
	next := uint64(0)
	for sb := range blocks {
		if sb.num != next {
			return v.report, verifyErr(next, CheckNumber, "block %d is missing (next stored block is %d)", next, sb.num)
		}
		if err := v.addStored(sb); err != nil {
			return v.report, err
		}
		next++
	}
	if next != height {
		return v.report, verifyErr(next, CheckNumber, "ledger height is %d but %d blocks are stored", height, next)
	}
	if err := v.finish(state); err != nil {
		return v.report, err
	}
	return v.report, nil
}

// addStored decodes and checks one stored block.
func (v *verifier) addStored(sb storedBlock) error {
	blk := &common.Block{}
	if err := proto.Unmarshal(sb.raw, blk); err != nil {
		return verifyErr(sb.num, CheckDecode, "%v", err)
	}
	if blk.GetHeader().GetNumber() != sb.num {
		return verifyErr(sb.num, CheckNumber, "block stored as %d says it is %d", sb.num, blk.GetHeader().GetNumber())
	}
	return v.add(blk, sb.raw)
}

// snapshotState lists every state entry of a snapshot, namespace by
// namespace in key order.
func snapshotState(snap *bbolt.Tx) iter.Seq2[StateEntry, error] {
	return func(yield func(StateEntry, error) bool) {
		root := snap.Bucket(bucketState)
		if root == nil {
			return
		}
		_ = root.ForEachBucket(func(name []byte) error {
			b := root.Bucket(name)
			c := b.Cursor()
			for k, raw := c.First(); k != nil; k, raw = c.Next() {
				ver, val, err := decodeStateValue(raw)
				if err != nil {
					yield(StateEntry{}, err)
					return errStopIteration
				}
				if !yield(StateEntry{Namespace: string(name), Key: string(k), Value: val, Version: ver}, nil) {
					return errStopIteration
				}
			}
			return nil
		})
	}
}

var errStopIteration = errors.New("stop iteration")
