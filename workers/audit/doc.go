// Package audit groups what a customs auditor needs from aeoledger: evidence
// bundles that verify offline (subpackage bundle), the content-addressed
// document archive with its hash-chained access log (archive), streaming
// exports for auditors in CSV, XLSX and PDF (export) and the mock audit that
// runs an auditor's checks over the read model (mock).
//
// This package holds no code of its own; it documents the family.
// The bundle file format is described in BUNDLE-FORMAT.md beside this file.
package audit
