// Package render prints ledger records for people: one-line summaries of
// touchpoints and the verified timeline of a trace.
package render
