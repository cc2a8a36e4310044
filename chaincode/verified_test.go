package chaincode

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/schemas"
)

// signedJSON signs tp with a fresh key and returns its JSON.
func signedJSON(t *testing.T, tp *schemas.Touchpoint) string {
	t.Helper()
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	require.NoError(t, schemas.SignRecord(key, tp))
	raw, err := json.Marshal(tp)
	require.NoError(t, err)
	return string(raw)
}

func memoTouchpoints() map[string]*schemas.Touchpoint {
	base := func(typ string) *schemas.Touchpoint {
		return &schemas.Touchpoint{Type: typ, ShipmentID: "SHP-1", EventTime: "2026-11-27T08:00:00.5Z",
			Location: schemas.Location{UNLocode: "NLRTM"}}
	}
	temp, hum := 4.5, 60.0
	out := map[string]*schemas.Touchpoint{}
	tp := base(schemas.TypeContainer)
	tp.Container = &schemas.ContainerEvent{Number: "CSQU3054383", Action: schemas.ContainerGateIn}
	out["container"] = tp
	tp = base(schemas.TypeSeal)
	tp.Seal = &schemas.SealEvent{Class: schemas.SealHighSecurity, Number: "SEAL-123456", ContainerNumber: "CSQU3054383",
		Action: schemas.SealVerified, VVTT: &schemas.VVTT{View: true, Verify: true, Tug: true, Twist: false}}
	out["seal"] = tp
	tp = base(schemas.TypeSensor)
	tp.Sensor = &schemas.SensorBatch{DeviceID: "sensor-1", Readings: []schemas.SensorReading{
		{Time: "2026-11-27T07:00:00Z", Temperature: &temp, Humidity: &hum}}}
	tp.Sensor.Summary = schemas.Summarize(tp.Sensor.Readings)
	out["sensor"] = tp
	tp = base(schemas.TypePOD)
	tp.POD = &schemas.ProofOfDelivery{Receiver: "Importer Co", Place: "KRPUS", Time: "2026-11-27T07:00:00Z",
		Condition: schemas.ConditionGood}
	out["pod"] = tp
	tp = base(schemas.TypeCorrection)
	tp.Correction = &schemas.Correction{Corrects: strings.Repeat("ab", 32),
		Reason: "wrong container number"}
	out["correction"] = tp
	return out
}

// TestCheckedTouchpointsAreOnlyDecodedTheSecondTime runs the same bytes
// through checkTouchpoint twice, as two endorsing peers sharing a chaincode
// server do: the second answer comes from the memo and equals the full
// check's answer.
func TestCheckedTouchpointsAreOnlyDecodedTheSecondTime(t *testing.T) {
	for name, tp := range memoTouchpoints() {
		t.Run(name, func(t *testing.T) {
			raw := signedJSON(t, tp)
			want, err := schemas.ParseTouchpoint([]byte(raw))
			require.NoError(t, err)
			wantSigner, err := schemas.RecoverSigner(want)
			require.NoError(t, err)

			c := Contract{verified: newVerified()}
			first, signer, err := c.checkTouchpoint(raw)
			require.NoError(t, err)
			assert.Equal(t, want, first)
			assert.Equal(t, wantSigner, signer)

			remembered, ok := c.verified.Get(sha256.Sum256([]byte(raw)))
			require.True(t, ok, "a checked touchpoint is remembered")
			assert.Equal(t, wantSigner, remembered)
			second, signer, err := c.checkTouchpoint(raw)
			require.NoError(t, err)
			assert.Equal(t, want, second, "the remembered record decodes to the same value")
			assert.Equal(t, wantSigner, signer)
			assert.NotSame(t, first, second, "each call gets its own record")
		})
	}
}

// TestFailedChecksAreNotRemembered: a record that fails validation or its
// signature check fails again the same way and leaves the memo empty, and a
// record differing by one byte from a remembered one is checked in full.
func TestFailedChecksAreNotRemembered(t *testing.T) {
	tp := memoTouchpoints()["container"]
	good := signedJSON(t, tp)
	var forged schemas.Touchpoint
	require.NoError(t, json.Unmarshal([]byte(good), &forged))
	forged.Container.Action = schemas.ContainerGateOut // signed as gate-in
	forgedRaw, err := json.Marshal(&forged)
	require.NoError(t, err)

	c := Contract{verified: newVerified()}
	for range 2 {
		_, _, err := c.checkTouchpoint(string(forgedRaw))
		require.Error(t, err)
		assert.True(t, errors.Is(err, schemas.ErrBadSignature), "got %v", err)
		assert.Contains(t, err.Error(), "is not the hash of the record's canonical form")

		_, _, err = c.checkTouchpoint(`{"type":"container"}`)
		require.Error(t, err)
		assert.True(t, errors.Is(err, schemas.ErrInvalid), "got %v", err)
	}
	assert.Zero(t, c.verified.Len(), "failures are not remembered")

	_, _, err = c.checkTouchpoint(good)
	require.NoError(t, err)
	// The same record with a trailing space is other bytes: checked again in
	// full, and remembered separately.
	_, _, err = c.checkTouchpoint(good + " ")
	require.NoError(t, err)
	assert.Equal(t, 2, c.verified.Len())
}

// TestVerifiedMemoIsBounded: the memo keeps at most two generations.
func TestVerifiedMemoIsBounded(t *testing.T) {
	v := newVerified()
	total := 3*verifiedGeneration + 7
	for i := range total {
		v.Add(sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)}), "0xabc")
	}
	assert.LessOrEqual(t, v.Len(), 2*verifiedGeneration)
	_, ok := v.Get(sha256.Sum256([]byte{0, 0, 0}))
	assert.False(t, ok, "the oldest entries are forgotten")
	last := total - 1
	_, ok = v.Get(sha256.Sum256([]byte{byte(last), byte(last >> 8), byte(last >> 16)}))
	assert.True(t, ok, "the newest entry is kept")
}

// BenchmarkCheckTouchpoint compares checks 1 and 2 of RecordTouchpoint for
// bytes not seen before (schema walk, signature recovery: what every
// endorsement cost before the memo, the baseline) with the same bytes seen
// once already (what the second endorsing peer's run now costs).
func BenchmarkCheckTouchpoint(b *testing.B) {
	key, err := crypto.GenerateKey()
	require.NoError(b, err)
	raws := make([]string, 4096)
	for i := range raws {
		tp := memoTouchpoints()["sensor"]
		tp.EventTime = fmt.Sprintf("2026-11-27T08:00:00.%09dZ", i+1)
		require.NoError(b, schemas.SignRecord(key, tp))
		raw, err := json.Marshal(tp)
		require.NoError(b, err)
		raws[i] = string(raw)
	}
	b.Run("baseline-first-time", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, _, err := checkTouchpointBytes([]byte(raws[i%len(raws)])); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("second-time", func(b *testing.B) {
		c := Contract{verified: newVerified()}
		for _, raw := range raws {
			if _, _, err := c.checkTouchpoint(raw); err != nil {
				b.Fatal(err)
			}
		}
		for i := 0; b.Loop(); i++ {
			if _, _, err := c.checkTouchpoint(raws[i%len(raws)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
