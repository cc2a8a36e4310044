// Package schemas defines the aeoledger evidence model: the JSON Schemas
// (draft 2020-12, embedded) and matching Go types for partners, shipments,
// signed touchpoints, customs declarations, amendments, document anchors and
// compliance records, the identifier validators (ISO 6346, ISO 17712,
// UN/LOCODE, ISO 3166-1, HS codes), and the canonical form used for record
// IDs and signatures: RFC 8785 JSON canonicalization, SHA-256 and secp256k1
// signatures as produced by go-ethereum's crypto package.
//
// The chaincode, the client SDK and the off-chain workers all use these types,
// so a record means the same thing everywhere it is read.
package schemas
