// Package cmdutil holds what every aeoledger command shares: the Factory
// that resolves the global flags into a ledger client, a keystore and a
// passphrase; FlagError and the typed exit codes; the one helper that adds
// --json; and small output helpers.
package cmdutil
