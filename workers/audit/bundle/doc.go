// Package bundle builds and verifies aeoledger evidence bundles: one file
// that proves, with no network access and without trusting the node that
// made it, that ledger records (touchpoints with their partner signatures,
// shipments, declarations and amendments, documents, compliance records)
// were written by valid, signed and endorsed Fabric transactions in
// orderer-signed blocks that hash-chain to a checkpoint the auditor trusts,
// with the org CA certificates needed to check every signer.
//
// Build scans blocks from a Source (the embedded ledger, or any peer's
// Deliver service through client.BlockRange) and Verify checks a bundle,
// reporting a Verdict per item that names what failed: the record, the
// signature, the transaction, the block link or the certificate. The format
// ("aeoledger-bundle/1") is documented in ../BUNDLE-FORMAT.md. Hashing and
// block checks reuse network/ledger (BlockHeaderHash, VerifyChain,
// ParseEnvelope) and network/msp (VerifySignature).
package bundle
