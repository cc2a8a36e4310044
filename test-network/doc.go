// Package testnetwork holds the integration and fault tests that run the
// aeoledger contract on the native Hyperledger Fabric network started by
// network.sh (see README.md). The tests are skipped unless AEOLEDGER_FABRIC=1,
// which CI sets after `network.sh up` and `network.sh deploy`.
package testnetwork
