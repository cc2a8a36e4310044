package chaincode_test

import (
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/aeoledger/aeoledger/schemas"
)

// BenchmarkRecordTouchpoint compares the contract's full RecordTouchpoint
// (schema validation, signature recovery, registry and state checks,
// writes, event) on the in-memory stub with its unavoidable part, the
// secp256k1 signature recovery alone, measured in the same run.
func BenchmarkRecordTouchpoint(b *testing.B) {
	e := newEnv(b)
	made := 0 // benchmarks run several times; every record must be new
	signed := func(n int) []*schemas.Touchpoint {
		out := make([]*schemas.Touchpoint, n)
		for i := range out {
			made++
			out[i] = e.touchpoint("carrier", container("gate-in"), func(tp *schemas.Touchpoint) {
				tp.EventTime = ledgerStart.Add(-time.Duration(made) * time.Millisecond).Format(time.RFC3339Nano)
			})
		}
		return out
	}
	b.Run("baseline-recover-signer", func(b *testing.B) {
		tps := signed(b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := schemas.RecoverSigner(tps[i]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("record-touchpoint", func(b *testing.B) {
		tps := signed(b.N)
		raws := make([]string, b.N)
		for i, tp := range tps {
			raws[i] = mustJSON(b, tp)
		}
		creator := e.ids["Carrier/user1"]
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			resp, _ := e.l.invoke(e.cc, creator, "RecordTouchpoint", raws[i])
			if resp.Status != shim.OK {
				b.Fatal(resp.Message)
			}
		}
	})
}
