package render_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/render"
	"github.com/aeoledger/aeoledger/schemas"
)

func TestWrap(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		width int
		want  []string
	}{
		{"short text stays on one line", "seal affixed", 20, []string{"seal affixed"}},
		{"lines break at spaces", "one two three four", 9, []string{"one two", "three", "four"}},
		{"a long word stays whole", "a 0123456789abcdef b", 8, []string{"a", "0123456789abcdef", "b"}},
		{"empty text is one empty line", "", 5, []string{""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, render.Wrap(tc.in, tc.width)) })
	}
}

func TestSummary(t *testing.T) {
	temp := 4.5
	cases := []struct {
		name string
		tp   schemas.Touchpoint
		want string
	}{
		{"container with vessel", schemas.Touchpoint{Container: &schemas.ContainerEvent{Number: "MSCU1234566", Action: "loaded", Vessel: "MV A", Voyage: "1E"}}, "container MSCU1234566 loaded (MV A 1E)"},
		{"seal check that failed", schemas.Touchpoint{Seal: &schemas.SealEvent{Number: "S1", Class: "H", Action: "verified", VVTT: &schemas.VVTT{View: true}}}, "seal S1 (class H) verified, VVTT FAILED (view true, verify false, tug false, twist false)"},
		{"sensor batch", schemas.Touchpoint{Sensor: &schemas.SensorBatch{DeviceID: "d", Readings: []schemas.SensorReading{{Temperature: &temp}}, Summary: schemas.Summarize([]schemas.SensorReading{{Temperature: &temp}})}}, "1 sensor readings from d, 4.5 to 4.5 °C (mean 4.5)"},
		{"incident", schemas.Touchpoint{Incident: &schemas.Incident{Cause: "damage", Description: "forklift"}}, "INCIDENT damage: forklift"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, render.Summary(&tc.tp)) })
	}
}

func TestTimelineFlagsARecordThatDoesNotVerifyLocally(t *testing.T) {
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	good := schemas.Touchpoint{Type: "container", ShipmentID: "S1", EventTime: "2026-11-27T10:00:00Z", Location: schemas.Location{UNLocode: "NLRTM"},
		Container: &schemas.ContainerEvent{Number: "MSCU1234566", Action: "gate-in"}}
	require.NoError(t, schemas.SignRecord(key, &good))
	bad := good
	bad.Container = &schemas.ContainerEvent{Number: "MSCU1234566", Action: "stuffed"} // changed after signing
	items := []schemas.TraceItem{
		{Record: schemas.StoredRecord{Record: good}, SignerPartner: "acme", SignerMSP: "ExporterMSP", Status: schemas.StatusVerified},
		{Record: schemas.StoredRecord{Record: bad}, SignerPartner: "acme", SignerMSP: "ExporterMSP", Status: schemas.StatusVerified},
	}
	checked, problems := render.Check(items)
	assert.Equal(t, 1, problems, "the node's word is not taken for it")
	var buf bytes.Buffer
	render.Timeline(&buf, "shipment S1", checked)
	out := buf.String()
	assert.Contains(t, out, "shipment S1: 2 records, 1 verified, 1 NOT VERIFIED")
	assert.Contains(t, out, "✓ verified")
	assert.Contains(t, out, "✗ local check failed")
	for _, line := range strings.Split(out, "\n") {
		assert.Equal(t, strings.TrimRight(line, " "), line, "no trailing spaces")
	}
}
