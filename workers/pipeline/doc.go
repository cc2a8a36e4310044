// Package pipeline runs the compliance workers behind the block listener:
// for every committed block it reads the chaincode events and the read model
// (never the contract's private state) and writes its conclusions back to
// the ledger as compliance records through the client SDK, so that the
// decision trail is as immutable as the evidence.
//
//   - Declarations get an anomaly score (a model file, or unsupervised
//     baselines fitted on the declarations already in the read model). The
//     score follows package anomaly: a compliance score from 0 to 100, where
//     100 means nothing looks wrong; below the review threshold (default
//     80) the declaration gets an alert. Every score record carries the
//     model's reasons in words an officer reads. Declarations are scored
//     as an anomaly.Stream in chain order, so an importer's HS-code volume
//     window counts every declaration recorded before it.
//   - Partners at registration, shipments (consignor and consignee) and
//     declarations (importer and seller, when they are registered partners)
//     are screened against the OFAC SDN list. A hit becomes a screening-hit
//     record (on the shipment it blocks loading, departure and proof of
//     delivery until an officer records a screening-clearance) and an alert.
//   - Sensor batches are evaluated against the shipment's alert profile
//     (its required temperature range, shock and light limits) over all of
//     the shipment's readings so far, including the mean kinetic
//     temperature; broken seals become alerts.
//
// Alerts are compliance records of kind alert, so the read model projects
// them like everything else (readmodel.Store.Alerts) and `aeoledger alerts
// ack` closes them on the ledger. When a webhook is configured each alert is
// also posted there (alerts.Notifier), at least once, with a stable delivery
// ID.
//
// # Restarts
//
// The pipeline keeps its own checkpoint (table pipeline_checkpoint in the
// read model's database), moved after each block is handled. The read
// model's checkpoint moves first, in the listener, so after a crash the
// pipeline may be behind it: Worker.Run replays those blocks from the ledger
// before following it live. Every conclusion is deterministic for a given
// chain (createdAt is the time of the transaction or reading that caused it,
// and the no-model baselines are fitted on a prefix of the history whose
// size depends only on the chain), so its compliance ID is too: the
// contract answers DUPLICATE for a conclusion already recorded and the
// pipeline counts it as done. Sensor alerts, whose message grows while an
// excursion lasts, are matched by rule and start time against the records
// already on the ledger instead.
package pipeline
