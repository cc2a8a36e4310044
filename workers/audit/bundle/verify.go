package bundle

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/aeoledger/aeoledger/schemas"
)

// MaxBundleBytes bounds what Verify reads.
const MaxBundleBytes = 1 << 30

// Verify checks a bundle with no network access: the file's format,
// canonical encoding and digest; every CA certificate; the header chain from
// the record blocks to the checkpoint and to trust (when given); for every
// block that holds items, its data hash and its orderer signatures with the
// orderer's certificate chain (SmartBFT identifier-header signatures
// resolved through the bundled config block before the block, whose data
// hash must match its header on the chain); and for every item, that its transaction is
// in the block at the stated index, valid, signed by its creator and
// endorsed (each identity chained to its bundled org CA at the
// transaction's time), that its write set holds exactly the bundled value,
// and, for touchpoints, the record ID and the partner's secp256k1 signature
// by a key the partner had registered and not revoked.
//
// A bundle that fails a check still yields a Verdict (OK false, naming what
// failed); the error is only for reading r.
func Verify(r io.Reader, trust TrustAnchor) (*Verdict, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxBundleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading bundle: %w", err)
	}
	if len(raw) > MaxBundleBytes {
		return nil, fmt.Errorf("reading bundle: larger than %d bytes", MaxBundleBytes)
	}
	return VerifyBytes(raw, trust), nil
}

// VerifyBytes is Verify over bytes already read.
func VerifyBytes(raw []byte, trust TrustAnchor) *Verdict {
	v := &Verdict{FileSHA256: FileHash(raw), TrustAnchor: trust.String()}
	vr := &verifier{v: v, trust: trust}
	vr.run(raw)
	v.OK = true
	for _, c := range v.Checks {
		v.OK = v.OK && c.OK
	}
	for i := range v.Items {
		it := &v.Items[i]
		it.OK = true
		for _, c := range it.Checks {
			it.OK = it.OK && c.OK
		}
		v.OK = v.OK && it.OK
	}
	if len(v.Items) == 0 {
		v.OK = false
	}
	return v
}

type verifier struct {
	v       *Verdict
	trust   TrustAnchor
	b       *Bundle
	orgs    map[string]*orgPool
	headers map[uint64]*common.BlockHeader
	// chainOK is false when the header chain or an anchor failed: then no
	// item is anchored.
	chainOK  bool
	blocks   map[uint64]*verifiedBlock
	txChecks map[txPos][]Check
	txs      map[txPos]*ledger.Tx
	// chains caches verified certificate chains by MSP and certificate.
	chains map[string][][]*x509.Certificate
	// configs are the consenter sets of the bundled config blocks that
	// passed their checks, by block number.
	configs map[uint64]map[uint32][]byte
}

type txPos struct {
	block uint64
	index int
}

type orgPool struct {
	roots, inter *x509.CertPool
}

type verifiedBlock struct {
	blk    *common.Block
	checks []Check
}

func (vr *verifier) bundleCheck(cat, name string, err error) bool {
	c := Check{Category: cat, Name: name, OK: err == nil}
	if err != nil {
		c.Detail = err.Error()
	}
	vr.v.Checks = append(vr.v.Checks, c)
	return err == nil
}

func (vr *verifier) run(raw []byte) {
	b := &Bundle{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(b); err != nil {
		vr.bundleCheck(CatBundle, "format", fmt.Errorf("not a bundle: %w", err))
		return
	}
	if dec.More() {
		vr.bundleCheck(CatBundle, "format", errors.New("trailing data after the bundle"))
		return
	}
	vr.b = b
	v := vr.v
	v.Format, v.Channel, v.Chaincode, v.Query, v.Checkpoint = b.Format, b.Channel, b.Chaincode, b.Query, b.Checkpoint
	if b.Format != Format {
		vr.bundleCheck(CatBundle, "format", fmt.Errorf("format %q, this verifier reads %q", b.Format, Format))
		return
	}
	vr.bundleCheck(CatBundle, "format", nil)
	encErr, digestErr := checkEncodingAndDigest(b, raw)
	vr.bundleCheck(CatBundle, "encoding", encErr)
	vr.bundleCheck(CatBundle, "digest", digestErr)
	vr.checkOrgs()
	vr.checkHeaders()
	vr.checkConfigBlocks()
	vr.checkBlocks()
	vr.checkItems()
}

// checkEncoding demands the canonical form, so that no byte can change
// without changing a value that a later check looks at, and checkDigest
// compares the digest with the canonical form without it. Both come from
// one canonicalisation: the canonical bundle with an empty digest, in which
// the first `"digest":` is the top-level key (the keys sorted before it -
// blocks, chaincode, channel, checkpoint, createdAt - cannot hold that
// text unescaped).
func checkEncodingAndDigest(b *Bundle, raw []byte) (encErr, digestErr error) {
	digest := b.Digest
	b.Digest = ""
	unsigned, err := schemas.Canonical(b)
	b.Digest = digest
	if err != nil {
		return fmt.Errorf("re-encoding: %w", err), fmt.Errorf("re-encoding: %w", err)
	}
	if want := sha256Hex(unsigned); digest != want {
		digestErr = fmt.Errorf("digest is %q, the content hashes to %s", digest, want)
	}
	quoted, err := json.Marshal(digest)
	if err != nil {
		return fmt.Errorf("re-encoding digest: %w", err), digestErr
	}
	again := bytes.Replace(unsigned, []byte(`"digest":""`), append([]byte(`"digest":`), quoted...), 1)
	if !bytes.Equal(again, raw) {
		i := 0
		for i < len(again) && i < len(raw) && again[i] == raw[i] {
			i++
		}
		encErr = fmt.Errorf("the file is not in canonical form (RFC 8785): first difference at byte %d", i)
	}
	return encErr, digestErr
}

func (vr *verifier) checkOrgs() {
	vr.orgs = map[string]*orgPool{}
	pinned := map[string]bool{}
	for _, f := range vr.trust.CAFingerprints {
		pinned[strings.ToLower(f)] = true
	}
	var problems []string
	for _, o := range vr.b.Orgs {
		if _, dup := vr.orgs[o.MSPID]; dup {
			problems = append(problems, fmt.Sprintf("%s listed twice", o.MSPID))
			continue
		}
		p := &orgPool{roots: x509.NewCertPool(), inter: x509.NewCertPool()}
		roots, err := parseCanonicalPEM(o.RootCerts)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s root CA: %v", o.MSPID, err))
			continue
		}
		if len(roots) == 0 {
			problems = append(problems, fmt.Sprintf("%s has no root CA", o.MSPID))
			continue
		}
		for _, c := range roots {
			// x509.Verify trusts a root as given; its own signature is what
			// makes a changed validity period or name detectable.
			if err := c.CheckSignatureFrom(c); err != nil {
				problems = append(problems, fmt.Sprintf("%s root CA %q is not validly self-signed: %v", o.MSPID, c.Subject.CommonName, err))
				continue
			}
			if len(pinned) > 0 && !pinned[CertFingerprint(c.Raw)] {
				problems = append(problems, fmt.Sprintf("%s root CA %q (sha256 %s) is not among the trusted fingerprints", o.MSPID, c.Subject.CommonName, CertFingerprint(c.Raw)))
				continue
			}
			p.roots.AddCert(c)
		}
		inter, err := parseCanonicalPEM(o.IntermediateCerts)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s intermediate CA: %v", o.MSPID, err))
			continue
		}
		for _, c := range inter {
			p.inter.AddCert(c)
		}
		vr.orgs[o.MSPID] = p
	}
	var err error
	if len(problems) > 0 {
		err = errors.New(strings.Join(problems, "; "))
	}
	vr.bundleCheck(CatCertificate, fmt.Sprintf("org CA certificates (%d orgs)", len(vr.b.Orgs)), err)
}

func parseCanonicalPEM(pems []string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for i, s := range pems {
		blk, rest := pem.Decode([]byte(s))
		if blk == nil || blk.Type != "CERTIFICATE" || len(rest) != 0 {
			return nil, fmt.Errorf("entry %d is not one PEM certificate", i)
		}
		if string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: blk.Bytes})) != s {
			return nil, fmt.Errorf("entry %d is not in canonical PEM form", i)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func decodeHex(field, s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || hex.EncodeToString(b) != s {
		return nil, fmt.Errorf("%s %q is not lowercase hex", field, s)
	}
	return b, nil
}

// checkHeaders checks the header chain: consecutive numbers, each
// PreviousHash the hash of the header before, the checkpoint and the trust
// anchor on the chain.
func (vr *verifier) checkHeaders() {
	vr.headers = map[uint64]*common.BlockHeader{}
	hs := vr.b.Headers
	err := func() error {
		if len(hs) == 0 {
			return errors.New("the bundle has no headers")
		}
		var prev *common.BlockHeader
		for i, h := range hs {
			ph, err := decodeHex(fmt.Sprintf("header %d previousHash", h.Number), h.PreviousHash)
			if err != nil {
				return err
			}
			dh, err := decodeHex(fmt.Sprintf("header %d dataHash", h.Number), h.DataHash)
			if err != nil {
				return err
			}
			hdr := &common.BlockHeader{Number: h.Number, PreviousHash: ph, DataHash: dh}
			if prev != nil {
				if h.Number != prev.Number+1 {
					return fmt.Errorf("header %d follows header %d (entry %d)", h.Number, prev.Number, i)
				}
				if want := ledger.BlockHeaderHash(prev); !bytes.Equal(ph, want) {
					return fmt.Errorf("block %d's previous hash %x is not the hash %x of block %d's header", h.Number, ph, want, prev.Number)
				}
			} else if h.Number == 0 && len(ph) != 0 {
				return errors.New("genesis header has a previous hash")
			}
			vr.headers[h.Number] = hdr
			prev = hdr
		}
		return nil
	}()
	name := fmt.Sprintf("header chain (%d headers)", len(hs))
	if len(hs) > 0 {
		name = fmt.Sprintf("header chain %d..%d", hs[0].Number, hs[len(hs)-1].Number)
	}
	vr.chainOK = vr.bundleCheck(CatBlockLink, name, err)
	if !vr.chainOK {
		return
	}
	vr.chainOK = vr.bundleCheck(CatBlockLink, "checkpoint on the chain", vr.onChain("checkpoint", vr.b.Checkpoint.Block, vr.b.Checkpoint.Hash))
	if vr.trust.HasBlock {
		ok := vr.bundleCheck(CatBlockLink, "trust anchor on the chain", vr.onChain("trust anchor", vr.trust.Block, hex.EncodeToString(vr.trust.Hash)))
		vr.chainOK = vr.chainOK && ok
		vr.v.Anchored = ok && vr.chainOK
	}
}

func (vr *verifier) onChain(what string, num uint64, hash string) error {
	h, ok := vr.headers[num]
	if !ok {
		first, last := vr.b.Headers[0].Number, vr.b.Headers[len(vr.b.Headers)-1].Number
		return fmt.Errorf("%s block %d is outside the bundle's headers %d..%d", what, num, first, last)
	}
	if got := hex.EncodeToString(ledger.BlockHeaderHash(h)); got != hash {
		return fmt.Errorf("%s says block %d has hash %s, its header hashes to %s", what, num, hash, got)
	}
	return nil
}

// checkConfigBlocks checks the bundled config blocks: each on the header
// chain, its data hashing to the header's data hash, a config block whose
// consenter set reads. Those that pass resolve the SmartBFT signatures of
// the blocks after them.
func (vr *verifier) checkConfigBlocks() {
	vr.configs = map[uint64]map[uint32][]byte{}
	for i, cb := range vr.b.ConfigBlocks {
		err := func() error {
			if i > 0 && cb.Number <= vr.b.ConfigBlocks[i-1].Number {
				return fmt.Errorf("config block %d follows config block %d", cb.Number, vr.b.ConfigBlocks[i-1].Number)
			}
			hdr, ok := vr.headers[cb.Number]
			if !ok {
				return fmt.Errorf("config block %d is not on the bundle's header chain", cb.Number)
			}
			blk := &common.Block{Header: hdr, Data: &common.BlockData{Data: cb.Data}}
			if got := ledger.BlockDataHash(blk.Data); !bytes.Equal(got, hdr.GetDataHash()) {
				return fmt.Errorf("config block %d data hashes to %x, its header says %x", cb.Number, got, hdr.GetDataHash())
			}
			m, err := ledger.ConsentersFromConfigBlock(blk)
			if err != nil {
				return err
			}
			vr.configs[cb.Number] = m
			return nil
		}()
		vr.bundleCheck(CatTransaction, fmt.Sprintf("config block %d", cb.Number), err)
	}
}

// consentersFor returns the consenter set in force for block n: that of
// the newest bundled config block before it, which must be the one the
// orderers signed as the block's last config.
func (vr *verifier) consentersFor(blk *common.Block) (map[uint32][]byte, error) {
	n := blk.GetHeader().GetNumber()
	var cfg uint64
	found := false
	for _, cb := range vr.b.ConfigBlocks {
		if cb.Number < n && (!found || cb.Number > cfg) {
			cfg, found = cb.Number, true
		}
	}
	if !found {
		return nil, fmt.Errorf("block %d is signed by SmartBFT consenters %v, and the bundle holds no config block before it to name them", n, ledger.ConsenterIDs(blk))
	}
	if last, ok := ledger.LastConfigIndex(blk); ok && last != cfg {
		return nil, fmt.Errorf("block %d names block %d as its last config, the bundle's newest config block before it is %d", n, last, cfg)
	}
	m, ok := vr.configs[cfg]
	if !ok {
		return nil, fmt.Errorf("config block %d, which names the consenters of block %d, failed its checks", cfg, n)
	}
	return m, nil
}

// checkBlocks checks every bundled block with network/ledger's VerifyChain:
// data hash, orderer signatures (and the signed validation flags of
// embedded-peer blocks), each signer chained to its org CA.
func (vr *verifier) checkBlocks() {
	vr.blocks = map[uint64]*verifiedBlock{}
	vr.txs = map[txPos]*ledger.Tx{}
	vr.txChecks = map[txPos][]Check{}
	for _, bb := range vr.b.Blocks {
		if _, dup := vr.blocks[bb.Number]; dup {
			vr.bundleCheck(CatBundle, "blocks", fmt.Errorf("block %d is bundled twice", bb.Number))
			continue
		}
		vb := &verifiedBlock{}
		vr.blocks[bb.Number] = vb
		hdr, ok := vr.headers[bb.Number]
		if !ok {
			vb.checks = append(vb.checks, fail(CatBlockLink, fmt.Sprintf("block %d header", bb.Number), "the block is not on the bundle's header chain"))
			continue
		}
		md := make([][]byte, len(common.BlockMetadataIndex_name))
		for i := range md {
			md[i] = []byte{}
		}
		md[common.BlockMetadataIndex_SIGNATURES] = bb.Signatures
		md[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = bb.Flags
		vb.blk = &common.Block{Header: hdr, Data: &common.BlockData{Data: bb.Data}, Metadata: &common.BlockMetadata{Metadata: md}}
		if err := canonicalProto(bb.Signatures, &common.Metadata{}); err != nil {
			vb.checks = append(vb.checks, fail(CatSignature, fmt.Sprintf("block %d signature", bb.Number), "signature metadata: "+err.Error()))
			continue
		}
		if len(bb.Flags) > 0 && !flagsSigned(bb.Signatures) {
			vb.checks = append(vb.checks, fail(CatTransaction, fmt.Sprintf("block %d validation flags", bb.Number), "the bundle carries validation flags the orderer did not sign"))
			continue
		}
		var consenters map[uint32][]byte
		if len(ledger.ConsenterIDs(vb.blk)) > 0 {
			m, err := vr.consentersFor(vb.blk)
			if err != nil {
				vb.checks = append(vb.checks, fail(CatSignature, fmt.Sprintf("block %d consenters", bb.Number), err.Error()))
				continue
			}
			consenters = m
		}
		var signers []string
		_, err := ledger.VerifyChain(ledger.Blocks([]*common.Block{vb.blk}), ledger.VerifyOptions{
			Consenters: consenters,
			CheckSigner: func(_ uint64, at time.Time, mspID string, cert *x509.Certificate) error {
				if err := vr.chain(mspID, cert, at, msp.RoleOrderer); err != nil {
					return err
				}
				signers = append(signers, mspID+"/"+cert.Subject.CommonName)
				return nil
			},
		})
		if err != nil {
			var ve *ledger.VerifyError
			cat, name := CatTransaction, "block"
			if errors.As(err, &ve) {
				switch ve.Check {
				case ledger.CheckDataHash:
					cat, name = CatTransaction, "data hash"
				case ledger.CheckSignature:
					cat, name = CatSignature, "block signature"
				case ledger.CheckSigner:
					cat, name = CatCertificate, "block signer certificate"
				case ledger.CheckPreviousHash, ledger.CheckNumber:
					cat, name = CatBlockLink, "block header"
				case ledger.CheckFlags:
					cat, name = CatTransaction, "validation flags"
				}
			}
			vb.checks = append(vb.checks, fail(cat, fmt.Sprintf("block %d %s", bb.Number, name), err.Error()))
			continue
		}
		vb.checks = append(vb.checks,
			pass(CatTransaction, fmt.Sprintf("block %d data hash", bb.Number)),
			pass(CatSignature, fmt.Sprintf("block %d signed by %s", bb.Number, strings.Join(signers, ", "))),
			pass(CatCertificate, fmt.Sprintf("block %d signer certificate", bb.Number)))
	}
}

func fail(cat, name, detail string) Check {
	return Check{Category: cat, Name: name, Detail: detail}
}

func pass(cat, name string) Check { return Check{Category: cat, Name: name, OK: true} }

func check(cat, name string, err error) Check {
	if err != nil {
		return fail(cat, name, err.Error())
	}
	return pass(cat, name)
}

// canonicalProto demands that raw is the deterministic encoding of m with
// no unknown fields.
func canonicalProto(raw []byte, m proto.Message) error {
	if err := proto.Unmarshal(raw, m); err != nil {
		return err
	}
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return errors.New("unknown fields")
	}
	again, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil || !bytes.Equal(again, raw) {
		return errors.New("not in canonical encoding")
	}
	return nil
}

// knownChain reports whether cert was already chained to mspID's CA and
// every certificate of that chain is valid at at too: the signatures of a
// chain do not change with time, only the validity periods need a check.
func (vr *verifier) knownChain(mspID string, cert *x509.Certificate, at time.Time) bool {
	for _, chain := range vr.chains[mspID+"\x00"+string(cert.Raw)] {
		ok := true
		for _, c := range chain {
			ok = ok && !at.Before(c.NotBefore) && !at.After(c.NotAfter)
		}
		if ok {
			return true
		}
	}
	return false
}

var roleOUs = []msp.Role{msp.RoleClient, msp.RolePeer, msp.RoleAdmin, msp.RoleOrderer}

// chain checks that cert chains to the bundled CA of mspID at time at and,
// when the certificate carries Fabric NodeOU roles, that it has one of the
// wanted roles.
func (vr *verifier) chain(mspID string, cert *x509.Certificate, at time.Time, want ...msp.Role) error {
	p, ok := vr.orgs[mspID]
	if !ok {
		return fmt.Errorf("%s is not among the bundle's organisations", mspID)
	}
	if !vr.knownChain(mspID, cert, at) {
		chains, err := cert.Verify(x509.VerifyOptions{Roots: p.roots, Intermediates: p.inter, CurrentTime: at,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			return fmt.Errorf("%s certificate %q does not chain to the %s CA at %s: %w", mspID, cert.Subject.CommonName, mspID, at.UTC().Format(time.RFC3339), err)
		}
		if vr.chains == nil {
			vr.chains = map[string][][]*x509.Certificate{}
		}
		vr.chains[mspID+"\x00"+string(cert.Raw)] = chains
	}
	var roles []msp.Role
	for _, ou := range cert.Subject.OrganizationalUnit {
		if r := msp.Role(strings.ToLower(ou)); slices.Contains(roleOUs, r) {
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		return nil // NodeOUs not used by this org
	}
	for _, r := range roles {
		if slices.Contains(want, r) {
			return nil
		}
	}
	return fmt.Errorf("%s certificate %q has role %v, want %v", mspID, cert.Subject.CommonName, roles, want)
}

func parseIdentity(serialized []byte) (string, *x509.Certificate, error) {
	id := &mspproto.SerializedIdentity{}
	if err := proto.Unmarshal(serialized, id); err != nil {
		return "", nil, fmt.Errorf("decoding identity: %w", err)
	}
	blk, _ := pem.Decode(id.GetIdBytes())
	if blk == nil {
		return "", nil, fmt.Errorf("identity of %s holds no PEM certificate", id.GetMspid())
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return "", nil, fmt.Errorf("parsing certificate of %s: %w", id.GetMspid(), err)
	}
	return id.GetMspid(), cert, nil
}

// checkTx checks one transaction once: parse, ID, validity, creator
// signature and certificate, every endorsement.
func (vr *verifier) checkTx(pos txPos, bb *Block) ([]Check, *ledger.Tx) {
	if cs, ok := vr.txChecks[pos]; ok {
		return cs, vr.txs[pos]
	}
	var cs []Check
	defer func() { vr.txChecks[pos] = cs }()
	if pos.index < 0 || pos.index >= len(bb.Data) {
		cs = append(cs, fail(CatTransaction, "transaction in block", fmt.Sprintf("block %d has %d transactions, no index %d", pos.block, len(bb.Data), pos.index)))
		return cs, nil
	}
	env := &common.Envelope{}
	if err := proto.Unmarshal(bb.Data[pos.index], env); err != nil {
		cs = append(cs, fail(CatTransaction, "transaction envelope", err.Error()))
		return cs, nil
	}
	tx, err := ledger.ParseEnvelope(env)
	if err != nil {
		cs = append(cs, fail(CatTransaction, "transaction envelope", err.Error()))
		return cs, nil
	}
	vr.txs[pos] = tx
	cs = append(cs, check(CatTransaction, "transaction id", func() error {
		if want := ledger.ComputeTxID(tx.Nonce, tx.Creator); tx.TxID != want {
			return fmt.Errorf("tx id %s is not sha256(nonce||creator) %s", tx.TxID, want)
		}
		if tx.Type != common.HeaderType_ENDORSER_TRANSACTION {
			return fmt.Errorf("type %s, want ENDORSER_TRANSACTION", tx.Type)
		}
		if tx.ChannelID != vr.b.Channel {
			return fmt.Errorf("channel %q, bundle is for %q", tx.ChannelID, vr.b.Channel)
		}
		if tx.ChaincodeID.GetName() != vr.b.Chaincode {
			return fmt.Errorf("chaincode %q, bundle is for %q", tx.ChaincodeID.GetName(), vr.b.Chaincode)
		}
		return nil
	}()))
	at := tx.Timestamp.AsTime()
	mspID, cert, err := parseIdentity(tx.Creator)
	if err != nil {
		cs = append(cs, fail(CatCertificate, "creator certificate", err.Error()))
	} else {
		cs = append(cs,
			check(CatCertificate, "creator "+mspID+"/"+cert.Subject.CommonName+" certificate", vr.chain(mspID, cert, at, msp.RoleClient, msp.RoleAdmin)),
			check(CatSignature, "creator signature", msp.VerifySignature(cert, env.GetPayload(), env.GetSignature())))
	}
	if len(tx.Endorsements) == 0 {
		cs = append(cs, fail(CatSignature, "endorsements", "the transaction carries no endorsement"))
	}
	for i, e := range tx.Endorsements {
		mspID, cert, err := parseIdentity(e.GetEndorser())
		if err != nil {
			cs = append(cs, fail(CatCertificate, fmt.Sprintf("endorser %d certificate", i), err.Error()))
			continue
		}
		who := mspID + "/" + cert.Subject.CommonName
		cs = append(cs,
			check(CatCertificate, "endorser "+who+" certificate", vr.chain(mspID, cert, at, msp.RolePeer)),
			check(CatSignature, "endorsement by "+who, msp.VerifySignature(cert, append(append([]byte{}, tx.ProposalResponsePayload...), e.GetEndorser()...), e.GetSignature())))
	}
	return cs, tx
}

func (vr *verifier) checkItems() {
	for _, it := range vr.b.Items {
		iv := ItemVerdict{Kind: it.Kind, ID: it.ID, TxID: it.TxID, Block: it.Block, TxIndex: it.TxIndex}
		iv.Checks = vr.checkItem(it)
		vr.v.Items = append(vr.v.Items, iv)
	}
}

func (vr *verifier) checkItem(it Item) []Check {
	var cs []Check
	if vr.chainOK {
		cs = append(cs, pass(CatBlockLink, fmt.Sprintf("block %d chains to block %d", it.Block, vr.anchorBlock())))
	} else {
		cs = append(cs, fail(CatBlockLink, fmt.Sprintf("block %d chain", it.Block), "the header chain or its anchor failed (see the bundle checks)"))
	}
	vb, ok := vr.blocks[it.Block]
	if !ok {
		return append(cs, fail(CatTransaction, "block", fmt.Sprintf("block %d is not in the bundle", it.Block)))
	}
	cs = append(cs, vb.checks...)
	if vb.blk == nil {
		return cs
	}
	var bb *Block
	for i := range vr.b.Blocks {
		if vr.b.Blocks[i].Number == it.Block {
			bb = &vr.b.Blocks[i]
		}
	}
	txc, tx := vr.checkTx(txPos{it.Block, it.TxIndex}, bb)
	cs = append(cs, txc...)
	if tx == nil {
		return cs
	}
	cs = append(cs, check(CatTransaction, "validation code", func() error {
		if tx.TxID != it.TxID {
			return fmt.Errorf("item says tx %s, the transaction at block %d #%d is %s", it.TxID, it.Block, it.TxIndex, tx.TxID)
		}
		if it.ValidationCode != peer.TxValidationCode_VALID.String() {
			return fmt.Errorf("validation code %s", it.ValidationCode)
		}
		if len(bb.Flags) > 0 {
			if c := peer.TxValidationCode(bb.Flags[it.TxIndex]); c != peer.TxValidationCode_VALID {
				return fmt.Errorf("the orderer-signed flags mark the transaction %s", c)
			}
		}
		return nil
	}()))
	cs = append(cs, check(CatRecord, "value in the write set", vr.checkWrite(tx, it)))
	cs = append(cs, vr.checkContent(tx, it)...)
	return cs
}

func (vr *verifier) anchorBlock() uint64 {
	if vr.v.Anchored {
		return vr.trust.Block
	}
	return vr.b.Checkpoint.Block
}

// written returns the value tx wrote under key in the bundle's chaincode.
func (vr *verifier) written(tx *ledger.Tx, key string) ([]byte, bool) {
	for _, ns := range tx.NsRWSets {
		if ns.Namespace != vr.b.Chaincode {
			continue
		}
		for _, w := range ns.KV.GetWrites() {
			if w.GetKey() == key && !w.GetIsDelete() {
				return w.GetValue(), true
			}
		}
	}
	return nil, false
}

func (vr *verifier) checkWrite(tx *ledger.Tx, it Item) error {
	obj, attrs, err := ledger.SplitCompositeKey(it.Key)
	if err != nil {
		return fmt.Errorf("key %q: %w", it.Key, err)
	}
	if objectKinds[obj] != it.Kind || strings.Join(attrs, "/") != it.ID {
		return fmt.Errorf("key %q does not name %s %s", it.Key, it.Kind, it.ID)
	}
	w, ok := vr.written(tx, it.Key)
	if !ok {
		return fmt.Errorf("transaction %s does not write %s %s", tx.TxID, it.Kind, it.ID)
	}
	got, err := schemas.CanonicalJSON(w)
	if err != nil {
		return fmt.Errorf("written value is not JSON: %w", err)
	}
	want, err := schemas.CanonicalJSON(it.Value)
	if err != nil {
		return fmt.Errorf("bundled value is not JSON: %w", err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("the bundled value differs from what transaction %s wrote", tx.TxID)
	}
	return nil
}

// checkContent runs the checks of the item's kind on its value.
func (vr *verifier) checkContent(tx *ledger.Tx, it Item) []Check {
	switch it.Kind {
	case KindTouchpoint:
		return vr.checkTouchpoint(tx, it)
	case KindCompliance:
		var c schemas.ComplianceRecord
		if err := json.Unmarshal(it.Value, &c); err != nil {
			return []Check{fail(CatRecord, "compliance record", err.Error())}
		}
		return []Check{check(CatRecord, "compliance record id", func() error {
			id, err := schemas.ComplianceID(&c)
			if err != nil {
				return err
			}
			if id != c.ID || id != it.ID {
				return fmt.Errorf("record says id %s, its content hashes to %s", c.ID, id)
			}
			return nil
		}())}
	}
	var obj struct {
		ID            string `json:"id"`
		SHA256        string `json:"sha256"`
		DeclarationID string `json:"declarationId"`
	}
	if err := json.Unmarshal(it.Value, &obj); err != nil {
		return []Check{fail(CatRecord, it.Kind, err.Error())}
	}
	id := obj.ID
	switch it.Kind {
	case KindDocument:
		id = obj.SHA256
	case KindAmendment:
		id = obj.DeclarationID + "/" + obj.ID
	}
	return []Check{check(CatRecord, it.Kind+" id", func() error {
		if id != it.ID {
			return fmt.Errorf("value names %s %q, the item %q", it.Kind, id, it.ID)
		}
		return nil
	}())}
}

func (vr *verifier) checkTouchpoint(tx *ledger.Tx, it Item) []Check {
	var sr schemas.StoredRecord
	if err := json.Unmarshal(it.Value, &sr); err != nil {
		return []Check{fail(CatRecord, "record", err.Error())}
	}
	tp := &sr.Record
	cs := []Check{check(CatRecord, "record id", func() error {
		id, err := schemas.RecordID(tp)
		if err != nil {
			return err
		}
		if id != tp.ID || id != it.ID {
			return fmt.Errorf("record says id %s, SHA-256 of its canonical form is %s", tp.ID, id)
		}
		if sr.TxID != tx.TxID {
			return fmt.Errorf("stored record says tx %s, it was written by %s", sr.TxID, tx.TxID)
		}
		return nil
	}())}
	if tp.Incident != nil && tp.Incident.Generated && tp.Signature == "" {
		return append(cs, check(CatRecord, "contract-generated incident", vr.checkGenerated(tx, it, &sr)))
	}
	addr, err := schemas.RecoverSigner(tp)
	cs = append(cs, check(CatSignature, "partner signature "+tp.Signer, err))
	if err != nil {
		return cs
	}
	return append(cs, check(CatSignature, "signer key of partner "+sr.SignerPartner, vr.checkSignerKey(it, &sr, addr)))
}

// checkGenerated: an incident without a signature must be one the contract
// raised in the same transaction as a signed record of the same shipment.
func (vr *verifier) checkGenerated(tx *ledger.Tx, it Item, sr *schemas.StoredRecord) error {
	if sr.SignerPartner != "" || sr.Record.Signer != "" {
		return errors.New("an unsigned incident names a signer")
	}
	for _, ns := range tx.NsRWSets {
		if ns.Namespace != vr.b.Chaincode {
			continue
		}
		for _, w := range ns.KV.GetWrites() {
			obj, _, err := ledger.SplitCompositeKey(w.GetKey())
			if err != nil || obj != "aeo.record" || w.GetKey() == it.Key {
				continue
			}
			var other schemas.StoredRecord
			if json.Unmarshal(w.GetValue(), &other) != nil || other.Record.ShipmentID != sr.Record.ShipmentID {
				continue
			}
			if _, err := schemas.RecoverSigner(&other.Record); err == nil {
				return nil
			}
		}
	}
	return fmt.Errorf("no signed record of shipment %s in transaction %s raised it", sr.Record.ShipmentID, tx.TxID)
}

// checkSignerKey: the latest bundled version of the signer's partner
// written before the record must hold the key, not revoked by the time the
// record was written.
func (vr *verifier) checkSignerKey(it Item, sr *schemas.StoredRecord, addr string) error {
	var latest *Item
	for i := range vr.b.Items {
		p := &vr.b.Items[i]
		if p.Kind != KindPartner || p.ID != sr.SignerPartner {
			continue
		}
		if p.Block > it.Block || (p.Block == it.Block && p.TxIndex >= it.TxIndex) {
			continue
		}
		if latest == nil || p.Block > latest.Block || (p.Block == latest.Block && p.TxIndex > latest.TxIndex) {
			latest = p
		}
	}
	if latest == nil {
		return fmt.Errorf("no version of partner %q written before the record is in the bundle", sr.SignerPartner)
	}
	var p schemas.Partner
	if err := json.Unmarshal(latest.Value, &p); err != nil {
		return fmt.Errorf("partner %q: %w", sr.SignerPartner, err)
	}
	k := p.Key(addr)
	if k == nil {
		return fmt.Errorf("partner %q (as of block %d) has no key %s", p.ID, latest.Block, addr)
	}
	if k.RevokedAt != "" && !timeBefore(sr.RecordedAt, k.RevokedAt) {
		return fmt.Errorf("key %s of partner %q was revoked at %s, before the record at %s", addr, p.ID, k.RevokedAt, sr.RecordedAt)
	}
	return nil
}

// timeBefore reports whether RFC 3339 time a is strictly before b (text
// order when either does not parse).
func timeBefore(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339Nano, a)
	tb, errB := time.Parse(time.RFC3339Nano, b)
	if errA != nil || errB != nil {
		return a < b
	}
	return ta.Before(tb)
}
