package event

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aeoledger/aeoledger/schemas"
)

// fields is one record's input by column name (CSV header = JSON field name).
type fields map[string]string

// columns lists the accepted columns per type, besides shipmentId, eventTime
// and location.
var columns = map[string][]string{
	schemas.TypeContainer: {"number", "action", "sizeType", "vessel", "voyage"},
	schemas.TypeSeal:      {"class", "number", "containerNumber", "action", "view", "verify", "tug", "twist", "notes"},
	schemas.TypeOrigin:    {"certificateNumber", "issuer", "countryOfOrigin", "hsCode", "documentSha256", "validFrom", "validUntil"},
	schemas.TypeSensor:    {"deviceId", "time", "temperature", "humidity", "light", "shock", "doorOpen", "lat", "lon"},
	schemas.TypePOD:       {"receiver", "place", "time", "condition", "exceptions"},
}

var envelopeColumns = []string{"shipmentId", "eventTime", "location"}

func knownColumn(typ, name string) bool {
	for _, c := range append(append([]string{}, envelopeColumns...), columns[typ]...) {
		if c == name {
			return true
		}
	}
	return false
}

// overlay returns base with the non-empty values of top.
func overlay(base, top fields) fields {
	out := fields{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range top {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

func fieldErr(name, value, rule string) error {
	return &schemas.FieldError{Field: name, Value: value, Rule: rule}
}

func (f fields) number(name string) (*float64, error) {
	s := strings.TrimSpace(f[name])
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fieldErr(name, s, "must be a number")
	}
	return &v, nil
}

func (f fields) boolean(name string) (*bool, error) {
	s := strings.TrimSpace(f[name])
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return nil, fieldErr(name, s, "must be true or false")
	}
	return &v, nil
}

// envelope builds the common part of a touchpoint.
func (f fields) envelope(typ string, now time.Time) *schemas.Touchpoint {
	at := f["eventTime"]
	if at == "" {
		at = now.UTC().Format(time.RFC3339Nano)
	}
	return &schemas.Touchpoint{Type: typ, ShipmentID: f["shipmentId"], EventTime: at, Location: schemas.Location{UNLocode: f["location"]}}
}

// build turns one row into a touchpoint (sensor rows are readings; see
// sensorBatches). Values are checked by the SDK's validation afterwards;
// here only their syntax (numbers, booleans).
func build(typ string, f fields, now time.Time) (*schemas.Touchpoint, error) {
	tp := f.envelope(typ, now)
	switch typ {
	case schemas.TypeContainer:
		tp.Container = &schemas.ContainerEvent{Number: f["number"], Action: f["action"], SizeType: f["sizeType"], Vessel: f["vessel"], Voyage: f["voyage"]}
	case schemas.TypeSeal:
		tp.Seal = &schemas.SealEvent{Class: f["class"], Number: f["number"], ContainerNumber: f["containerNumber"], Action: f["action"]}
		if tp.Seal.Action == schemas.SealVerified {
			v := &schemas.VVTT{Notes: f["notes"]}
			for _, step := range []struct {
				name string
				dst  *bool
			}{{"view", &v.View}, {"verify", &v.Verify}, {"tug", &v.Tug}, {"twist", &v.Twist}} {
				b, err := f.boolean(step.name)
				if err != nil {
					return nil, err
				}
				if b == nil {
					return nil, fieldErr(step.name, "", "a seal verification needs the result of each View-Verify-Tug-Twist step (true/false)")
				}
				*step.dst = *b
			}
			tp.Seal.VVTT = v
		}
	case schemas.TypeOrigin:
		tp.Origin = &schemas.OriginCertificate{CertificateNumber: f["certificateNumber"], Issuer: f["issuer"], CountryOfOrigin: f["countryOfOrigin"],
			HSCode: f["hsCode"], DocumentSHA256: f["documentSha256"], ValidFrom: f["validFrom"], ValidUntil: f["validUntil"]}
	case schemas.TypePOD:
		pod := &schemas.ProofOfDelivery{Receiver: f["receiver"], Place: f["place"], Time: f["time"], Condition: f["condition"]}
		if pod.Place == "" {
			pod.Place = tp.Location.UNLocode
		}
		if pod.Time == "" {
			pod.Time = tp.EventTime
		}
		for _, e := range strings.Split(f["exceptions"], ";") {
			if e = strings.TrimSpace(e); e != "" {
				pod.Exceptions = append(pod.Exceptions, e)
			}
		}
		tp.POD = pod
	default:
		return nil, fmt.Errorf("building %s record: not a single-row type", typ)
	}
	return tp, nil
}

// reading parses one sensor row.
func reading(f fields, now time.Time) (schemas.SensorReading, error) {
	r := schemas.SensorReading{Time: f["time"]}
	if r.Time == "" {
		r.Time = now.UTC().Format(time.RFC3339Nano)
	}
	for _, q := range []struct {
		name string
		dst  **float64
	}{{"temperature", &r.Temperature}, {"humidity", &r.Humidity}, {"light", &r.Light}, {"shock", &r.Shock}, {"lat", &r.Lat}, {"lon", &r.Lon}} {
		v, err := f.number(q.name)
		if err != nil {
			return r, err
		}
		*q.dst = v
	}
	door, err := f.boolean("doorOpen")
	if err != nil {
		return r, err
	}
	r.DoorOpen = door
	return r, nil
}
