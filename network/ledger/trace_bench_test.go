package ledger

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/aeoledger/aeoledger/chaincode"
	"github.com/aeoledger/aeoledger/schemas"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The aeoledger contract's state layout (chaincode/contract.go): composite
// keys with these object types. Trace reads the shipment, then the
// aeo.trace index of the shipment in event order, and for each entry the
// aeo.record it points to, the signer's aeo.key index and aeo.partner (once
// per signer) and the record's aeo.correction range.
const (
	ccNamespace   = "aeoledger"
	objShipment   = "aeo.shipment"
	objRecord     = "aeo.record"
	objTrace      = "aeo.trace"
	objKey        = "aeo.key"
	objPartner    = "aeo.partner"
	traceShipment = "SHP-TRACE-TARGET"
)

// contractLedger is a ledger whose state holds what the aeoledger contract
// would have written for a carrier partner, fillerShipments shipments of
// perShipment records each, and the target shipment with perShipment real
// signed sensor touchpoints.
type contractLedger struct {
	l       *Ledger
	records int
}

// loadContractLedger bulk-loads the state straight into bbolt in large
// transactions (writing a million records through blocks would take the
// benchmark longer than the measurement). The target shipment's records are
// genuine: signed with the carrier's secp256k1 key, stored as
// schemas.StoredRecord under the contract's keys, so Trace verifies every
// signature as it does on a real ledger. The filler records share the key
// layout and the index but carry a short placeholder value, which only the
// size of the B+tree (not the trace) depends on. Benchmarks only: the chain
// does not hold these writes.
func loadContractLedger(b *testing.B, total, perShipment int) *contractLedger {
	b.Helper()
	orderer := newTestIdentity(b, "OrdererMSP", "orderer0")
	l, err := Open(b.TempDir(), Options{ChannelID: testChannel, Signer: orderer, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = l.Close() })
	key, err := ethcrypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	put := func(sb *bbolt.Bucket, obj string, attrs []string, value []byte) {
		k, err := shim.CreateCompositeKey(obj, attrs)
		if err != nil {
			b.Fatal(err)
		}
		if err := sb.Put([]byte(k), encodeStateValue(Version{BlockNum: 1}, value)); err != nil {
			b.Fatal(err)
		}
	}
	mustJSON := func(v any) []byte {
		raw, err := json.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		return raw
	}
	update := func(fn func(sb *bbolt.Bucket)) {
		err := l.db.Update(func(tx *bbolt.Tx) error {
			sb, err := tx.Bucket(bucketState).CreateBucketIfNotExists([]byte(ccNamespace))
			if err != nil {
				return err
			}
			fn(sb)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}

	// registry and target shipment, with its real records
	partner := schemas.Partner{ID: "carrier", MSPID: "CarrierMSP", LegalName: "Carrier BV", Country: "NL",
		Roles: []string{schemas.RoleCarrier}, Status: schemas.PartnerActive,
		Keys: []schemas.SigningKey{schemas.NewSigningKey(key, "bench")}}
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	update(func(sb *bbolt.Bucket) {
		addr := schemas.NormalizeAddress(ethcrypto.PubkeyToAddress(key.PublicKey).Hex())
		put(sb, objKey, []string{addr}, []byte(partner.ID))
		put(sb, objPartner, []string{partner.ID}, mustJSON(partner))
		put(sb, objShipment, []string{traceShipment}, mustJSON(benchShipment(traceShipment)))
		for i := range perShipment {
			sr := signedSensorRecord(b, key, traceShipment, base.Add(time.Duration(i)*time.Minute))
			put(sb, objRecord, []string{sr.Record.ID}, mustJSON(sr))
			put(sb, objTrace, []string{traceShipment, chaincode.FormatTime(base.Add(time.Duration(i) * time.Minute)), "0", sr.Record.ID}, []byte(sr.Record.ID))
		}
	})

	// filler shipments, in key order so that pages fill up
	filler := []byte(`{"filler":"a record of another shipment; the trace never reads it"}`)
	const perTx = 50_000
	fillerRecords := total - perShipment
	for start := 0; start < fillerRecords; start += perTx {
		update(func(sb *bbolt.Bucket) {
			sb.FillPercent = 1.0
			for i := start; i < min(start+perTx, fillerRecords); i++ {
				shipment := fmt.Sprintf("SHP-FILL-%06d", i/perShipment)
				if i%perShipment == 0 {
					put(sb, objShipment, []string{shipment}, filler)
				}
				id := fmt.Sprintf("%064x", i)
				put(sb, objTrace, []string{shipment, chaincode.FormatTime(base.Add(time.Duration(i%perShipment) * time.Minute)), "0", id}, []byte(id))
				put(sb, objRecord, []string{id}, filler)
			}
		})
	}
	return &contractLedger{l: l, records: total}
}

func benchShipment(id string) schemas.Shipment {
	return schemas.Shipment{
		ID:               id,
		Consignor:        schemas.Party{PartnerID: "exporter", Name: "Exporter BV", Country: "NL"},
		Consignee:        schemas.Party{Name: "Importer Co", Country: "KR"},
		Parties:          []string{"carrier"},
		Origin:           "NLRTM",
		Destination:      "KRPUS",
		HSCodes:          []string{"847150"},
		TemperatureRange: &schemas.TemperatureRange{Min: 2, Max: 8},
		PlannedDeparture: "2026-11-28T08:00:00Z",
		PlannedArrival:   "2026-12-20T08:00:00Z",
	}
}

// signedSensorRecord is a carrier's signed reefer reading as the contract
// stores it.
func signedSensorRecord(b *testing.B, key *ecdsa.PrivateKey, shipment string, at time.Time) schemas.StoredRecord {
	temp, hum := 4.5, 60.0
	readings := []schemas.SensorReading{{Time: at.Format(time.RFC3339Nano), Temperature: &temp, Humidity: &hum}}
	tp := schemas.Touchpoint{
		Type: schemas.TypeSensor, ShipmentID: shipment, EventTime: at.Format(time.RFC3339Nano),
		Location: schemas.Location{UNLocode: "NLRTM"},
		Signer:   ethcrypto.PubkeyToAddress(key.PublicKey).Hex(),
		Sensor:   &schemas.SensorBatch{DeviceID: "reefer-1", Readings: readings, Summary: schemas.Summarize(readings)},
	}
	if err := schemas.SignRecord(key, &tp); err != nil {
		b.Fatal(err)
	}
	txID := sha256.Sum256([]byte(tp.ID))
	return schemas.StoredRecord{Record: tp, TxID: hex.EncodeToString(txID[:]), RecordedAt: chaincode.FormatTime(at.Add(time.Second)),
		SignerPartner: "carrier", Submitter: schemas.Identity{MSPID: "CarrierMSP", ID: "x509::CN=user1"}}
}

// BenchmarkContractTrace runs the real contract's Trace (chaincode.New()
// through contractapi and this ledger's stub, as Evaluate does) over the
// target shipment's 1,000 records, on a ledger of 10k and one of 1M
// records, in the same run. The cost per record should not depend on the
// ledger's size: Trace reads one key range of the trace index and point
// lookups, each O(log n) in the B+tree. The baseline row is the bare cost
// the trace cannot avoid per record, recovering its secp256k1 signer, so
// the ratio shows what the contract and the stub add.
func BenchmarkContractTrace(b *testing.B) {
	const perShipment = 1000
	cc, err := chaincode.New()
	if err != nil {
		b.Fatal(err)
	}
	creator := newTestIdentity(b, "CarrierMSP", "user1")
	for _, size := range []int{10_000, 1_000_000} {
		cl := loadContractLedger(b, size, perShipment)
		in := SimulationInput{
			TxID: "trace", ChannelID: testChannel, Namespace: ccNamespace, Chaincode: cc,
			Args:    [][]byte{[]byte("Trace"), []byte(traceShipment), []byte(fmt.Sprint(perShipment)), nil},
			Creator: creator.serialized, Timestamp: timestamppb.Now(),
		}
		res, err := cl.l.Simulate(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		var page schemas.Page[schemas.TraceItem]
		if err := json.Unmarshal(res.Response.GetPayload(), &page); err != nil || page.Count != perShipment {
			b.Fatalf("trace returned %d items (%v): %.200s", page.Count, err, res.Response.GetPayload())
		}
		for _, it := range page.Items {
			if it.Status != schemas.StatusVerified {
				b.Fatalf("record %s: status %s (%s)", it.Record.Record.ID, it.Status, it.StatusDetail)
			}
		}
		b.Run(fmt.Sprintf("ledger=%d/trace-%d-records", size, perShipment), func(b *testing.B) {
			cpu := processCPU(b)
			for b.Loop() {
				if _, err := cl.l.Simulate(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
			reportPerRecord(b, processCPU(b)-cpu, perShipment)
		})
	}
	// baseline: recovering the signer of 1,000 records, nothing else
	key, err := ethcrypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	records := make([]schemas.Touchpoint, perShipment)
	for i := range records {
		records[i] = signedSensorRecord(b, key, traceShipment, time.Now().Add(time.Duration(i)*time.Second)).Record
	}
	b.Run(fmt.Sprintf("baseline/recover-signer-%d-records", perShipment), func(b *testing.B) {
		cpu := processCPU(b)
		for b.Loop() {
			for i := range records {
				if _, err := schemas.RecoverSigner(&records[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
		reportPerRecord(b, processCPU(b)-cpu, perShipment)
	})
}

// reportPerRecord reports wall and process CPU time per record. CPU time
// does not grow when other processes take the machine's cores.
func reportPerRecord(b *testing.B, cpu time.Duration, records int) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(records), "µs/record")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/float64(records), "cpu-µs/record")
}

// processCPU is the process's user+system CPU time so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
