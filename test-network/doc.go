// Package testnetwork holds the integration, fault and benchmark tests that
// run the aeoledger contract on the native Hyperledger Fabric network
// started by network.sh (see README.md), and compare it with the embedded
// peer (network/node) on the same scenario. The tests that need the Fabric
// network are skipped unless AEOLEDGER_FABRIC=1, which CI sets after
// `network.sh up` and `network.sh deploy`; the builder tests and the
// embedded-peer runs always run.
package testnetwork
