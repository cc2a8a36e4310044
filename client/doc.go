// Package client is the Go SDK of aeoledger: partners, forwarders, carriers,
// devices and auditors use it to record and query AEO evidence.
//
// A Client talks to the aeoledger contract through the Hyperledger Fabric
// Gateway client API (github.com/hyperledger/fabric-gateway), so the very same
// code serves the embedded one-node peer and a real Fabric network: only the
// connection profile differs.
//
// Typed methods wrap every contract transaction (see chaincode/API.md):
// partners and their secp256k1 keys, shipments, signed touchpoints
// (RecordTouchpoint builds the canonical form, signs it with the responsible
// party's key and submits it), declarations and amendments, document anchors,
// traces, history and compliance records. Submit and Evaluate call any
// transaction by name.
//
// Errors: a refusal by the contract is a *ContractError carrying the code,
// field, value and rule; errors.Is maps it onto ErrInvalid, ErrBadSignature,
// ErrForbidden, ErrNotFound, ErrDuplicate or ErrConflict. The fabric-gateway
// error underneath (*client.EndorseError, *client.SubmitError,
// *client.CommitStatusError, *client.CommitError) stays reachable with
// errors.As. Transactions invalidated by MVCC_READ_CONFLICT or
// PHANTOM_READ_CONFLICT are re-endorsed and resubmitted with exponential
// backoff.
package client
