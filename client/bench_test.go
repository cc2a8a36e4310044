package client_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/schemas"
)

// BenchmarkPrepareTouchpoint measures what RecordTouchpoint does on the
// client before anything is sent (validate, RFC 8785 canonical form, hash,
// secp256k1 signature) next to BenchmarkBareSign, the signature alone, so the
// SDK's own overhead can be read off in the same run.
func BenchmarkPrepareTouchpoint(b *testing.B) {
	key, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	readings := make([]schemas.SensorReading, 60)
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for i := range readings {
		v := 3 + float64(i%7)/10
		readings[i] = schemas.SensorReading{Time: t0.Add(time.Duration(i) * time.Minute).Format(time.RFC3339), Temperature: &v}
	}
	b.ReportAllocs()
	for b.Loop() {
		tp := client.SensorTouchpoint("SHP-1", t0.Add(time.Hour), "NLRTM", "reefer-sensor-7", readings)
		tp.Signer = crypto.PubkeyToAddress(key.PublicKey).Hex()
		if err := tp.Validate(); err != nil {
			b.Fatal(err)
		}
		if err := schemas.SignRecord(key, tp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareSign(b *testing.B) {
	key, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("baseline"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := crypto.Sign(digest[:], key); err != nil {
			b.Fatal(err)
		}
	}
}
