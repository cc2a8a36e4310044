package bundle

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/schemas"
)

// ErrNotFound is returned by Build when no ledger object matches the query.
var ErrNotFound = errors.New("no matching ledger object")

// DefaultChaincode is the chaincode (state namespace) bundles are built for.
const DefaultChaincode = "aeoledger"

// BuildOptions tune Build.
type BuildOptions struct {
	// Orgs resolves the CA certificates of every organisation that signed
	// something in the bundle (required).
	Orgs CAResolver
	// Chaincode is the namespace whose writes are bundled (default
	// DefaultChaincode).
	Chaincode string
	// Now stamps CreatedAt (default time.Now).
	Now func() time.Time
}

// Build scans the ledger from q.FromBlock to its head once and collects every
// version of the objects q selects, the blocks that wrote them, the header
// chain up to the head (the bundle's checkpoint) and the CA certificates of
// every signer:
//
//   - ShipmentID: the shipment, its touchpoints (and the incidents the
//     contract raised), its documents and declarations (with their
//     amendments) and compliance records about any of these;
//   - ContainerNumber: the touchpoints naming the container (container
//     events and seals on it) and compliance records about them;
//   - DeclarationID: the declaration, its amendments (proposal, approval,
//     rejection), its documents and compliance records about it.
//
// Every version of the partners whose keys signed a bundled touchpoint is
// included too, so the verifier can check that the key was registered and
// not revoked when the record was written. When bundled blocks are signed
// by SmartBFT consenters (identifier headers, which name only a consenter
// ID), the config block that maps those IDs to orderer identities is
// bundled as well (read from src, with the headers after it, when
// q.FromBlock is later) and the consenters' org CAs are collected.
//
// Errors: *schemas.FieldError (schemas.ErrInvalid) for a bad query or
// options, ErrNotFound when nothing matches, and the source's errors.
func Build(ctx context.Context, src Source, q Query, opts BuildOptions) (*Bundle, error) {
	if err := q.validate(); err != nil {
		return nil, fmt.Errorf("building bundle: %w", err)
	}
	if opts.Orgs == nil {
		return nil, fmt.Errorf("building bundle: %w", &schemas.FieldError{Field: "BuildOptions.Orgs", Value: "nil", Rule: "a CA resolver is required"})
	}
	if opts.Chaincode == "" {
		opts.Chaincode = DefaultChaincode
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := newScan(q, opts.Chaincode)
	for blk, err := range src.Blocks(ctx, q.FromBlock) {
		if err != nil {
			return nil, fmt.Errorf("building bundle: reading blocks: %w", err)
		}
		if err := s.add(blk); err != nil {
			return nil, fmt.Errorf("building bundle: %w", err)
		}
	}
	if len(s.headers) == 0 {
		return nil, fmt.Errorf("building bundle: %w: the ledger has no block at or after %d", ErrNotFound, q.FromBlock)
	}
	s.addPartners()
	if len(s.items) == 0 {
		return nil, fmt.Errorf("building bundle: %w for %s", ErrNotFound, q.describe())
	}
	if err := s.addConfigs(ctx, src); err != nil {
		return nil, fmt.Errorf("building bundle: %w", err)
	}
	b, err := s.bundle(opts)
	if err != nil {
		return nil, fmt.Errorf("building bundle: %w", err)
	}
	return b, nil
}

func (q Query) validate() error {
	set := 0
	for _, v := range []string{q.ShipmentID, q.ContainerNumber, q.DeclarationID} {
		if v != "" {
			set++
		}
	}
	if len(q.TxIDs) > 0 {
		set++
	}
	if set != 1 {
		return &schemas.FieldError{Field: "query", Value: q.describe(), Rule: "exactly one of shipmentId, containerNumber, declarationId, txIds must be set"}
	}
	switch {
	case len(q.TxIDs) > 0:
		for i, id := range q.TxIDs {
			if err := schemas.ValidateSHA256(fmt.Sprintf("query.txIds[%d]", i), id); err != nil {
				return err
			}
		}
		return nil
	case q.ShipmentID != "":
		return schemas.ValidateID("query.shipmentId", q.ShipmentID)
	case q.ContainerNumber != "":
		return schemas.ValidateContainerNumber("query.containerNumber", q.ContainerNumber)
	default:
		return schemas.ValidateID("query.declarationId", q.DeclarationID)
	}
}

func (q Query) describe() string {
	var parts []string
	if q.ShipmentID != "" {
		parts = append(parts, "shipment "+q.ShipmentID)
	}
	if q.ContainerNumber != "" {
		parts = append(parts, "container "+q.ContainerNumber)
	}
	if q.DeclarationID != "" {
		parts = append(parts, "declaration "+q.DeclarationID)
	}
	if len(q.TxIDs) > 0 {
		parts = append(parts, fmt.Sprintf("%d transactions", len(q.TxIDs)))
	}
	if len(parts) == 0 {
		return "(empty)"
	}
	return strings.Join(parts, ", ")
}

// scan collects the bundle's content in one pass over the blocks.
type scan struct {
	q         Query
	chaincode string
	headers   []Header
	lastHash  []byte
	blocks    map[uint64]*common.Block
	items     []Item
	// partner versions seen, kept until the end when the signers are known
	partnerItems map[string][]Item
	signers      map[string]bool          // partner IDs that signed bundled touchpoints
	ids          map[string]bool          // IDs of bundled objects (compliance subjects)
	decls        map[string]bool          // declaration IDs whose amendments belong in
	creators     map[string]bool          // MSP IDs whose identities sign bundled data
	configs      map[uint64]*common.Block // config blocks seen or fetched
	// blockConfig maps a bundled block signed by SmartBFT consenters to the
	// config block that defines them; consenters caches those sets.
	blockConfig map[uint64]uint64
	consenters  map[uint64]map[uint32][]byte
	txIDs       map[string]bool // Query.TxIDs as a set
	tx          string          // the transaction being scanned
}

func newScan(q Query, chaincode string) *scan {
	s := &scan{q: q, chaincode: chaincode, blocks: map[uint64]*common.Block{},
		partnerItems: map[string][]Item{}, signers: map[string]bool{}, ids: map[string]bool{},
		decls: map[string]bool{}, creators: map[string]bool{}, txIDs: map[string]bool{},
		configs: map[uint64]*common.Block{}, blockConfig: map[uint64]uint64{}, consenters: map[uint64]map[uint32][]byte{}}
	for _, id := range q.TxIDs {
		s.txIDs[id] = true
	}
	return s
}

func (s *scan) add(blk *common.Block) error {
	h := blk.GetHeader()
	if h == nil {
		return fmt.Errorf("block without header after block %d", len(s.headers))
	}
	if len(s.headers) > 0 && h.GetNumber() != s.headers[len(s.headers)-1].Number+1 {
		return fmt.Errorf("source skipped from block %d to %d", s.headers[len(s.headers)-1].Number, h.GetNumber())
	}
	s.headers = append(s.headers, headerOf(h))
	s.lastHash = ledger.BlockHeaderHash(h)
	if ledger.IsConfigBlock(blk) {
		s.configs[h.GetNumber()] = blk
	}
	flags := ledger.TxValidationFlags(blk)
	for i, raw := range blk.GetData().GetData() {
		if len(flags) > i && flags[i] != peer.TxValidationCode_VALID {
			continue
		}
		tx, err := ledger.ParseEnvelopeBytes(raw)
		if err != nil || tx.Type != common.HeaderType_ENDORSER_TRANSACTION {
			continue // config transactions and unparsable entries hold no objects
		}
		s.tx = tx.TxID
		for _, ns := range tx.NsRWSets {
			if ns.Namespace != s.chaincode {
				continue
			}
			for _, w := range ns.KV.GetWrites() {
				if w.GetIsDelete() {
					continue
				}
				it, ok := s.match(w.GetKey(), w.GetValue())
				if !ok {
					continue
				}
				it.Block, it.TxIndex, it.TxID = h.GetNumber(), i, tx.TxID
				it.ValidationCode = peer.TxValidationCode_VALID.String()
				if len(flags) == 0 {
					it.ValidationCode = peer.TxValidationCode_NOT_VALIDATED.String()
				}
				if it.Kind == KindPartner {
					s.partnerItems[it.ID] = append(s.partnerItems[it.ID], it)
					s.blocks[h.GetNumber()] = blk
					continue
				}
				s.items = append(s.items, it)
				s.blocks[h.GetNumber()] = blk
			}
		}
	}
	return nil
}

// match decides whether a write belongs in the bundle.
func (s *scan) match(key string, value []byte) (Item, bool) {
	obj, attrs, err := ledger.SplitCompositeKey(key)
	if err != nil || len(attrs) == 0 {
		return Item{}, false
	}
	kind, ok := objectKinds[obj]
	if !ok {
		return Item{}, false
	}
	it := Item{Kind: kind, ID: strings.Join(attrs, "/"), Key: key, Value: json.RawMessage(value)}
	if !json.Valid(value) {
		return Item{}, false
	}
	q := s.q
	keep := false
	switch kind {
	case KindPartner:
		if s.txIDs[s.tx] {
			s.signers[it.ID] = true
		}
		return it, true // filtered at the end, once the signers are known
	case KindShipment:
		keep = q.ShipmentID != "" && it.ID == q.ShipmentID
	case KindTouchpoint:
		var sr schemas.StoredRecord
		if json.Unmarshal(value, &sr) != nil {
			return Item{}, false
		}
		r := sr.Record
		switch {
		case q.ShipmentID != "":
			keep = r.ShipmentID == q.ShipmentID
		case q.ContainerNumber != "":
			keep = (r.Container != nil && r.Container.Number == q.ContainerNumber) ||
				(r.Seal != nil && r.Seal.ContainerNumber == q.ContainerNumber) ||
				(r.Incident != nil && s.ids[r.Incident.RelatedRecord])
		}
		if keep && sr.SignerPartner != "" {
			s.signers[sr.SignerPartner] = true
		}
	case KindDeclaration:
		var d schemas.Declaration
		if json.Unmarshal(value, &d) != nil {
			return Item{}, false
		}
		keep = (q.DeclarationID != "" && d.ID == q.DeclarationID) || (q.ShipmentID != "" && d.ShipmentID == q.ShipmentID)
		if keep {
			s.decls[d.ID] = true
		}
	case KindAmendment:
		keep = s.decls[attrs[0]]
	case KindDocument:
		var d schemas.DocumentAnchor
		if json.Unmarshal(value, &d) != nil {
			return Item{}, false
		}
		keep = (q.ShipmentID != "" && d.ShipmentID == q.ShipmentID) || (q.DeclarationID != "" && d.DeclarationID == q.DeclarationID)
	case KindCompliance:
		var c schemas.ComplianceRecord
		if json.Unmarshal(value, &c) != nil {
			return Item{}, false
		}
		keep = (q.ShipmentID != "" && c.SubjectID == q.ShipmentID) || (q.DeclarationID != "" && c.SubjectID == q.DeclarationID) ||
			(len(s.txIDs) == 0 && (s.ids[c.SubjectID] || s.ids[c.RefersTo]))
	}
	if s.txIDs[s.tx] {
		keep = true
		if kind == KindTouchpoint {
			var sr schemas.StoredRecord
			if json.Unmarshal(value, &sr) == nil && sr.SignerPartner != "" {
				s.signers[sr.SignerPartner] = true
			}
		}
	}
	if keep {
		s.ids[it.ID] = true
	}
	return it, keep
}

// addPartners adds every version of the partners that signed bundled
// touchpoints, in ledger order with the other items.
func (s *scan) addPartners() {
	needed := map[uint64]bool{}
	for _, it := range s.items {
		needed[it.Block] = true
	}
	for id, versions := range s.partnerItems {
		if !s.signers[id] {
			continue
		}
		for _, it := range versions {
			s.items = append(s.items, it)
			needed[it.Block] = true
		}
	}
	for n := range s.blocks {
		if !needed[n] {
			delete(s.blocks, n)
		}
	}
	sort.SliceStable(s.items, func(i, j int) bool {
		a, b := s.items[i], s.items[j]
		if a.Block != b.Block {
			return a.Block < b.Block
		}
		return a.TxIndex < b.TxIndex
	})
}

func (s *scan) bundle(opts BuildOptions) (*Bundle, error) {
	b := &Bundle{
		Format: Format, Chaincode: s.chaincode, CreatedAt: opts.Now().UTC().Format(time.RFC3339Nano), Query: s.q,
		Headers: s.headers, Items: s.items,
		Checkpoint: Checkpoint{Block: s.headers[len(s.headers)-1].Number, Hash: hex.EncodeToString(s.lastHash)},
	}
	nums := make([]uint64, 0, len(s.blocks))
	for n := range s.blocks {
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	for _, n := range nums {
		blk := s.blocks[n]
		bb, err := blockOf(blk)
		if err != nil {
			return nil, err
		}
		b.Blocks = append(b.Blocks, bb)
		if err := s.collectSigners(blk); err != nil {
			return nil, err
		}
		if b.Channel == "" {
			b.Channel = channelOf(blk)
		}
	}
	cfgNums := make([]uint64, 0, len(s.consenters))
	for n := range s.consenters {
		cfgNums = append(cfgNums, n)
	}
	sort.Slice(cfgNums, func(i, j int) bool { return cfgNums[i] < cfgNums[j] })
	for _, n := range cfgNums {
		b.ConfigBlocks = append(b.ConfigBlocks, ConfigBlock{Number: n, Data: s.configs[n].GetData().GetData()})
	}
	msps := make([]string, 0, len(s.creators))
	for m := range s.creators {
		msps = append(msps, m)
	}
	sort.Strings(msps)
	for _, m := range msps {
		roots, inter, err := opts.Orgs.CAs(m)
		if err != nil {
			return nil, fmt.Errorf("collecting CA certificates: %w", err)
		}
		if len(roots) == 0 {
			return nil, fmt.Errorf("collecting CA certificates: %s has no root CA", m)
		}
		b.Orgs = append(b.Orgs, Org{MSPID: m, RootCerts: pemAll(roots), IntermediateCerts: pemAll(inter)})
	}
	return b, nil
}

// collectSigners notes the MSP of every creator, endorser and block signer
// of a bundled block.
func (s *scan) collectSigners(blk *common.Block) error {
	for _, raw := range blk.GetData().GetData() {
		tx, err := ledger.ParseEnvelopeBytes(raw)
		if err != nil {
			continue
		}
		s.noteIdentity(tx.Creator)
		for _, e := range tx.Endorsements {
			s.noteIdentity(e.GetEndorser())
		}
	}
	md := &common.Metadata{}
	if err := proto.Unmarshal(blk.GetMetadata().GetMetadata()[common.BlockMetadataIndex_SIGNATURES], md); err != nil {
		return fmt.Errorf("reading signatures of block %d: %w", blk.GetHeader().GetNumber(), err)
	}
	for _, sig := range md.GetSignatures() {
		sh := &common.SignatureHeader{}
		if proto.Unmarshal(sig.GetSignatureHeader(), sh) == nil {
			s.noteIdentity(sh.GetCreator())
		}
	}
	n := blk.GetHeader().GetNumber()
	for _, id := range ledger.ConsenterIDs(blk) {
		consenter, ok := s.consenters[s.blockConfig[n]][id]
		if !ok {
			return fmt.Errorf("block %d is signed by consenter %d, which config block %d does not list", n, id, s.blockConfig[n])
		}
		s.noteIdentity(consenter)
	}
	return nil
}

// addConfigs finds, for every bundled block signed by SmartBFT consenters
// (identifier headers), the config block in force (the LastConfig index the
// orderers signed), reading it and the headers up to the scanned ones from
// src when the scan started after it, so that its data hash is tied to the
// bundle's header chain.
func (s *scan) addConfigs(ctx context.Context, src Source) error {
	need := map[uint64]bool{}
	for n, blk := range s.blocks {
		if len(ledger.ConsenterIDs(blk)) == 0 {
			continue
		}
		idx, ok := ledger.LastConfigIndex(blk)
		if !ok || idx >= n {
			return fmt.Errorf("block %d is signed by SmartBFT consenters but names no earlier config block", n)
		}
		s.blockConfig[n] = idx
		need[idx] = true
	}
	if len(need) == 0 {
		return nil
	}
	first := s.headers[0].Number
	lowest := first
	for idx := range need {
		lowest = min(lowest, idx)
	}
	if lowest < first {
		var pre []Header
		var last *common.BlockHeader
		for blk, err := range src.Blocks(ctx, lowest) {
			if err != nil {
				return fmt.Errorf("reading config block %d: %w", lowest, err)
			}
			h := blk.GetHeader()
			if h.GetNumber() >= first {
				break
			}
			if h.GetNumber() != lowest+uint64(len(pre)) {
				return fmt.Errorf("source skipped to block %d while reading from config block %d", h.GetNumber(), lowest)
			}
			pre, last = append(pre, headerOf(h)), h
			if need[h.GetNumber()] {
				s.configs[h.GetNumber()] = blk
			}
		}
		if uint64(len(pre)) != first-lowest || hex.EncodeToString(ledger.BlockHeaderHash(last)) != s.headers[0].PreviousHash {
			return fmt.Errorf("the headers read from config block %d do not chain to block %d", lowest, first)
		}
		s.headers = append(pre, s.headers...)
	}
	for idx := range need {
		blk, ok := s.configs[idx]
		if !ok {
			return fmt.Errorf("block %d, named as last config, is not a config block", idx)
		}
		m, err := ledger.ConsentersFromConfigBlock(blk)
		if err != nil {
			return err
		}
		s.consenters[idx] = m
	}
	return nil
}

func (s *scan) noteIdentity(serialized []byte) {
	id := &mspproto.SerializedIdentity{}
	if proto.Unmarshal(serialized, id) == nil && id.GetMspid() != "" {
		s.creators[id.GetMspid()] = true
	}
}

func headerOf(h *common.BlockHeader) Header {
	return Header{Number: h.GetNumber(), PreviousHash: hex.EncodeToString(h.GetPreviousHash()), DataHash: hex.EncodeToString(h.GetDataHash())}
}

func blockOf(blk *common.Block) (Block, error) {
	md := blk.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		return Block{}, fmt.Errorf("block %d has no signature metadata", blk.GetHeader().GetNumber())
	}
	b := Block{Number: blk.GetHeader().GetNumber(), Data: blk.GetData().GetData(), Signatures: md[common.BlockMetadataIndex_SIGNATURES]}
	if flagsSigned(md[common.BlockMetadataIndex_SIGNATURES]) {
		b.Flags = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	return b, nil
}

// flagsSigned reports whether the orderer's signed metadata carries the
// embedded ledger's digest of the validation flags.
func flagsSigned(signatures []byte) bool {
	md := &common.Metadata{}
	obm := &common.OrdererBlockMetadata{}
	cm := &common.Metadata{}
	if proto.Unmarshal(signatures, md) != nil || proto.Unmarshal(md.GetValue(), obm) != nil ||
		proto.Unmarshal(obm.GetConsenterMetadata(), cm) != nil {
		return false
	}
	return strings.HasPrefix(string(cm.GetValue()), ledger.FlagsDigestPrefix)
}

func channelOf(blk *common.Block) string {
	for _, raw := range blk.GetData().GetData() {
		if tx, err := ledger.ParseEnvelopeBytes(raw); err == nil {
			return tx.ChannelID
		}
	}
	return ""
}

func pemAll(certs []*x509.Certificate) []string {
	out := make([]string, 0, len(certs))
	for _, c := range certs {
		out = append(out, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})))
	}
	return out
}

// Encode sets the bundle's Digest and returns its file form: RFC 8785
// canonical JSON.
func (b *Bundle) Encode() ([]byte, error) {
	b.Digest = ""
	unsigned, err := schemas.Canonical(b)
	if err != nil {
		return nil, fmt.Errorf("encoding bundle: %w", err)
	}
	b.Digest = sha256Hex(unsigned)
	out, err := schemas.Canonical(b)
	if err != nil {
		return nil, fmt.Errorf("encoding bundle: %w", err)
	}
	return out, nil
}

// WriteFile encodes the bundle and writes it to path through a temporary
// file in the same folder, so that a failure leaves nothing at path. It
// returns the file's SHA-256 (hex), the hash an export cites.
func (b *Bundle) WriteFile(path string) (string, error) {
	raw, err := b.Encode()
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".bundle-*")
	if err != nil {
		return "", fmt.Errorf("writing bundle: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(raw); err != nil {
		_ = tmp.Close()
		return "", fmt.Errorf("writing bundle: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return "", fmt.Errorf("writing bundle: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("writing bundle: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", fmt.Errorf("writing bundle: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("writing bundle: %w", err)
	}
	return sha256Hex(raw), nil
}
