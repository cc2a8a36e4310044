// Package chaincode is the aeoledger smart contract, built with
// fabric-contract-api-go. It keeps the partner registry and its secp256k1
// signing keys, shipments and their state machine, signed touchpoints and the
// incidents they raise, customs declarations with two-person amendments,
// document anchors and the compliance records the workers write back. It
// runs unchanged on a Fabric peer (chaincode as a service) and on the
// embedded peer. The transactions, events and rules are listed in API.md.
package chaincode
