// Package ledger is the storage and ordering core of aeoledger's embedded
// peer: a one-node, Fabric-compatible ledger over bbolt.
//
// It simulates chaincode through its own implementation of
// shim.ChaincodeStubInterface, recording Fabric-format read/write sets
// (rwset.TxReadWriteSet with kvrwset.KVRWSet, versions {BlockNum, TxNum});
// orders endorsed transaction envelopes into Fabric-format blocks
// (common.Block, header and data hash as in Fabric v3, validation flags in
// the TRANSACTIONS_FILTER metadata, orderer signature in the SIGNATURES
// metadata); validates them (DUPLICATE_TXID, MVCC_READ_CONFLICT,
// PHANTOM_READ_CONFLICT) and commits state, key history, the block, its flags
// and the transaction index in one bbolt transaction.
//
// VerifyChain checks hash links, data hashes and block signatures of any
// sequence of Fabric blocks, the embedded ledger's or a real Fabric
// network's, and for the embedded ledger that replaying the valid write sets
// from genesis yields the stored world state.
//
// SmartBFT orderers sign blocks with an IdentifierHeader that names only a
// consenter ID; the certificate behind it comes from the channel
// configuration. IsConfigBlock recognises a config block (block 0 and each
// config update), ConsentersFromConfigBlock reads its consenter set
// (consenter ID -> marshalled msp.SerializedIdentity; empty for Raft, solo
// and the embedded ledger), LastConfigIndex reads the number of the config
// block in force that the orderer signed into a block, and ConsenterIDs
// lists the consenter IDs of a block's signatures. VerifyChain takes the
// consenter set of every valid config block it checks for the blocks after
// it, and fails with CheckConfig when that set cannot be read. A sequence
// that starts after the config block in force needs
// VerifyOptions.Consenters (from the block LastConfigIndex names, which the
// caller checks itself) and may anchor its first block with
// VerifyOptions.PreviousHash.
//
// Blocks follow Fabric v3: header hash = SHA-256 of the ASN.1 DER of
// (Number, PreviousHash, DataHash); DataHash = SHA-256 of the concatenated
// envelopes; SIGNATURES metadata = Metadata{Value: OrdererBlockMetadata
// {LastConfig{0}, ConsenterMetadata}, Signatures: [{SignatureHeader,
// Signature over Value ++ SignatureHeader ++ header bytes}]}. The one
// deliberate addition: ConsenterMetadata holds
// Metadata{Value: "aeoledger/flags-sha256:" ++ SHA-256(TRANSACTIONS_FILTER)},
// so the orderer signature also covers the validation flags (on Fabric they
// are written by each peer, unsigned). Block 0 holds one CONFIG transaction
// (see GenesisConfig) and is signed too.
//
// Differences from a Fabric peer worth knowing: range-query read sets are
// always raw reads (never Merkle summaries); PutState with an empty value is
// a delete (as the Fabric shim effectively does); there is no
// totalQueryLimit; paginated queries are refused in transactions that write
// (as on Fabric).
//
// The gRPC services, identities and node wiring live in other packages
// (network/peer, network/msp, network/node) and use this package's API:
// Open, Simulate, Order, TxStatus, WaitForTx, Height, Block, SubscribeBlocks,
// Verify and Close.
package ledger
