package schemas_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aeoledger/aeoledger/schemas"
)

func load[T any](t *testing.T, name string) *T {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "valid", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestGoValidatorsWithoutJSON checks the typed Validate methods on their
// own, as the client SDK uses them before it signs a record (no JSON Schema
// pass in front of them).
func TestGoValidatorsWithoutJSON(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	type check struct {
		name string
		run  func(t *testing.T) error
		want string
	}
	partner := func(m func(p *schemas.Partner)) func(t *testing.T) error {
		return func(t *testing.T) error { p := load[schemas.Partner](t, "partner.carrier"); m(p); return p.Validate() }
	}
	shipment := func(m func(s *schemas.Shipment)) func(t *testing.T) error {
		return func(t *testing.T) error { s := load[schemas.Shipment](t, "shipment.reefer"); m(s); return s.Validate() }
	}
	touch := func(name string, m func(tp *schemas.Touchpoint)) func(t *testing.T) error {
		return func(t *testing.T) error { tp := load[schemas.Touchpoint](t, name); m(tp); return tp.Validate() }
	}
	decl := func(m func(d *schemas.Declaration)) func(t *testing.T) error {
		return func(t *testing.T) error {
			d := load[schemas.Declaration](t, "declaration.from-csv")
			m(d)
			return d.Validate()
		}
	}
	doc := func(m func(d *schemas.DocumentAnchor)) func(t *testing.T) error {
		return func(t *testing.T) error {
			d := load[schemas.DocumentAnchor](t, "document.invoice")
			m(d)
			return d.Validate()
		}
	}
	comp := func(name string, m func(c *schemas.ComplianceRecord)) func(t *testing.T) error {
		return func(t *testing.T) error { c := load[schemas.ComplianceRecord](t, name); m(c); return c.Validate() }
	}
	amend := func(m func(a *schemas.Amendment)) func(t *testing.T) error {
		return func(t *testing.T) error {
			a := load[schemas.Amendment](t, "amendment.hs-code")
			m(a)
			return a.Validate()
		}
	}
	long := strings.Repeat("x", 2001)
	cases := []check{
		{"a partner with a bad MSP ID", partner(func(p *schemas.Partner) { p.MSPID = "Carrier MSP" }), `field=mspId value="Carrier MSP" rule=MSP ID must be 1-64 letters, digits, . or -`},
		{"a partner without roles", partner(func(p *schemas.Partner) { p.Roles = nil }), `field=roles value="" rule=at least one role is required`},
		{"a partner with ten roles", partner(func(p *schemas.Partner) { p.Roles = make([]string, 10) }), `field=roles value="10" rule=must have at most 9 items`},
		{"a partner with an unknown role", partner(func(p *schemas.Partner) { p.Roles = []string{"pirate"} }), `field=roles[0] value="pirate" rule=must be one of exporter, importer, forwarder, carrier, terminal, broker, certificate-issuer, device, customs`},
		{"a partner listing a role twice", partner(func(p *schemas.Partner) { p.Roles = []string{"carrier", "carrier"} }), `field=roles[1] value="carrier" rule=role listed twice`},
		{"a partner listing a key twice", partner(func(p *schemas.Partner) { p.Keys = append(p.Keys, p.Keys[0]) }), `field=keys[1].address value="0x2c7536E3605D9C16a7a3D7b1898e529396a65c23" rule=key listed twice`},
		{"a partner with a malformed AEO number", partner(func(p *schemas.Partner) { p.AEOCertificate = "nl1" }), `field=aeoCertificate value="nl1" rule=AEO certificate number must start with a country code and have 4-35 capital letters, digits, spaces or hyphens`},
		{"a partner with an unknown status", partner(func(p *schemas.Partner) { p.Status = "gone" }), `field=status value="gone" rule=must be one of active, suspended`},
		{"a partner key with a bad revocation time", partner(func(p *schemas.Partner) { p.Keys[0].RevokedAt = "now" }), `field=keys[0].revokedAt value="now" rule=must be an RFC 3339 date-time like 2026-01-02T15:04:05Z`},
		{"a partner key with an overlong label", partner(func(p *schemas.Partner) { p.Keys[0].Label = strings.Repeat("l", 65) }), `field=keys[0].label value="` + strings.Repeat("l", 64) + `..." rule=must have at most 64 characters, got 65`},
		{"a partner with 33 keys", partner(func(p *schemas.Partner) { p.Keys = make([]schemas.SigningKey, 33) }), `field=keys value="33" rule=must have at most 32 items`},
		{"a partner name with invalid UTF-8", partner(func(p *schemas.Partner) { p.LegalName = "\xff" }), `field=legalName value="\xff" rule=must be valid UTF-8`},
		{"a shipment consignor without a name", shipment(func(s *schemas.Shipment) { s.Consignor.Name = "" }), `field=consignor.name value="" rule=is required`},
		{"a shipment consignee with a bad partner ID", shipment(func(s *schemas.Shipment) { s.Consignee.PartnerID = "a b" }), `field=consignee.partnerId value="a b" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
		{"a shipment with 33 parties", shipment(func(s *schemas.Shipment) { s.Parties = make([]string, 33) }), `field=parties value="33" rule=must have at most 32 items`},
		{"a shipment with a bad party ID", shipment(func(s *schemas.Shipment) { s.Parties = []string{""} }), `field=parties[0] value="" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
		{"a shipment with a bad destination", shipment(func(s *schemas.Shipment) { s.Destination = "KR" }), `field=destination value="KR" rule=UN/LOCODE must have 5 characters (country + 3), got 2`},
		{"a shipment without HS codes", shipment(func(s *schemas.Shipment) { s.HSCodes = nil }), `field=hsCodes value="" rule=at least one HS code is required`},
		{"a shipment with 101 HS codes", shipment(func(s *schemas.Shipment) { s.HSCodes = make([]string, 101) }), `field=hsCodes value="101" rule=must have at most 100 items`},
		{"a shipment with 31 route stops", shipment(func(s *schemas.Shipment) { s.Route = make([]string, 31) }), `field=route value="31" rule=must have at most 30 items`},
		{"a shipment with a bad route stop", shipment(func(s *schemas.Shipment) { s.Route = []string{"SGSIN", "SG1"} }), `field=route[1] value="SG1" rule=UN/LOCODE must have 5 characters (country + 3), got 3`},
		{"a shipment with a too hot range", shipment(func(s *schemas.Shipment) { s.TemperatureRange.Max = 150 }), `field=temperatureRange.max value="150" rule=must be between -100 and 100 °C`},
		{"a shipment with a too cold range", shipment(func(s *schemas.Shipment) { s.TemperatureRange.Min = -150 }), `field=temperatureRange.min value="-150" rule=must be between -100 and 100 °C`},
		{"a shipment with a bad departure", shipment(func(s *schemas.Shipment) { s.PlannedDeparture = "" }), `field=plannedDeparture value="" rule=must be an RFC 3339 date-time like 2026-01-02T15:04:05Z`},
		{"a shipment with a bad arrival", shipment(func(s *schemas.Shipment) { s.PlannedArrival = "x" }), `field=plannedArrival value="x" rule=must be an RFC 3339 date-time like 2026-01-02T15:04:05Z`},
		{"a touchpoint of unknown type", touch("touchpoint.container-gate-in", func(tp *schemas.Touchpoint) { tp.Type = "parcel" }), `field=type value="parcel" rule=must be one of container, seal, origin, sensor, pod, incident, correction`},
		{"a touchpoint with a bad shipment ID", touch("touchpoint.container-gate-in", func(tp *schemas.Touchpoint) { tp.ShipmentID = "" }), `field=shipmentId value="" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
		{"a touchpoint with a bad signer", touch("touchpoint.container-gate-in", func(tp *schemas.Touchpoint) { tp.Signer = "me" }), `field=signer value="me" rule=address must be 0x followed by 40 hex digits`},
		{"a touchpoint with a bad id", touch("touchpoint.correction", func(tp *schemas.Touchpoint) { tp.ID = "x" }), `field=id value="x" rule=SHA-256 must be 64 lowercase hex digits`},
		{"a touchpoint without its body", touch("touchpoint.container-gate-in", func(tp *schemas.Touchpoint) { tp.Container = nil }), `field=container value="" rule=a container record needs its container body`},
		{"a touchpoint with a long location name", touch("touchpoint.container-gate-in", func(tp *schemas.Touchpoint) { tp.Location.Name = long }), `field=location.name value="` + long[:64] + `..." rule=must have at most 200 characters, got 2001`},
		{"a touchpoint longitude out of range", touch("touchpoint.container-gate-in", func(tp *schemas.Touchpoint) { tp.Location.Lon = f(181) }), `field=location.lon value="181" rule=must be between -180 and 180 degrees`},
		{"a container with a bad size-type", touch("touchpoint.container-gate-in", func(tp *schemas.Touchpoint) { tp.Container.SizeType = "45r1" }), `field=container.sizeType value="45r1" rule=ISO 6346 size/type code must be 4 capital letters or digits`},
		{"a container with an unknown action", touch("touchpoint.container-gate-in", func(tp *schemas.Touchpoint) { tp.Container.Action = "lost" }), `field=container.action value="lost" rule=must be one of gate-in, stuffed, loaded, departed, arrived, discharged, gate-out`},
		{"a container with a long vessel name", touch("touchpoint.container-gate-in", func(tp *schemas.Touchpoint) { tp.Container.Vessel = long }), `field=container.vessel value="` + long[:64] + `..." rule=must have at most 200 characters, got 2001`},
		{"a container with a long voyage", touch("touchpoint.container-gate-in", func(tp *schemas.Touchpoint) { tp.Container.Voyage = long }), `field=container.voyage value="` + long[:64] + `..." rule=must have at most 64 characters, got 2001`},
		{"a seal on a bad container", touch("touchpoint.seal-affixed", func(tp *schemas.Touchpoint) { tp.Seal.ContainerNumber = "CSQU3054384" }), `field=seal.containerNumber value="CSQU3054384" rule=ISO 6346 check digit must be 3`},
		{"a seal with an unknown action", touch("touchpoint.seal-affixed", func(tp *schemas.Touchpoint) { tp.Seal.Action = "kissed" }), `field=seal.action value="kissed" rule=must be one of affixed, verified, broken, removed`},
		{"a seal class in lower case", touch("touchpoint.seal-affixed", func(tp *schemas.Touchpoint) { tp.Seal.Class = "h" }), `field=seal.class value="h" rule=ISO 17712 seal class must be I, S or H`},
		{"a seal number with a space", touch("touchpoint.seal-affixed", func(tp *schemas.Touchpoint) { tp.Seal.Number = "HS 123456" }), `field=seal.number value="HS 123456" rule=ISO 17712 seal number must be 4-20 capital letters, digits or single inner hyphens`},
		{"an affixed seal with a VVTT result", touch("touchpoint.seal-affixed", func(tp *schemas.Touchpoint) { tp.Seal.VVTT = &schemas.VVTT{} }), `field=seal.vvtt value="present" rule=only a verification carries a View-Verify-Tug-Twist result`},
		{"a VVTT note that is too long", touch("touchpoint.seal-verified", func(tp *schemas.Touchpoint) { tp.Seal.VVTT.Notes = long }), `field=seal.vvtt.notes value="` + long[:64] + `..." rule=must have at most 2000 characters, got 2001`},
		{"an origin without a certificate number", touch("touchpoint.origin", func(tp *schemas.Touchpoint) { tp.Origin.CertificateNumber = "" }), `field=origin.certificateNumber value="" rule=is required`},
		{"an origin without an issuer", touch("touchpoint.origin", func(tp *schemas.Touchpoint) { tp.Origin.Issuer = "" }), `field=origin.issuer value="" rule=is required`},
		{"an origin of an unknown country", touch("touchpoint.origin", func(tp *schemas.Touchpoint) { tp.Origin.CountryOfOrigin = "UK" }), `field=origin.countryOfOrigin value="UK" rule=must be an ISO 3166-1 alpha-2 country code`},
		{"an origin with a short hash", touch("touchpoint.origin", func(tp *schemas.Touchpoint) { tp.Origin.DocumentSHA256 = "abc" }), `field=origin.documentSha256 value="abc" rule=SHA-256 must be 64 lowercase hex digits`},
		{"an origin with a bad start date", touch("touchpoint.origin", func(tp *schemas.Touchpoint) { tp.Origin.ValidFrom = "2026-13-01" }), `field=origin.validFrom value="2026-13-01" rule=must be an RFC 3339 full-date like 2026-01-02`},
		{"an origin with a bad end date", touch("touchpoint.origin", func(tp *schemas.Touchpoint) { tp.Origin.ValidUntil = "soon" }), `field=origin.validUntil value="soon" rule=must be an RFC 3339 date-time like 2026-01-02T15:04:05Z`},
		{"a sensor batch with a bad device ID", touch("touchpoint.sensor", func(tp *schemas.Touchpoint) { tp.Sensor.DeviceID = "" }), `field=sensor.deviceId value="" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
		{"a sensor batch without readings", touch("touchpoint.sensor", func(tp *schemas.Touchpoint) { tp.Sensor.Readings = nil }), `field=sensor.readings value="" rule=at least one reading is required`},
		{"a sensor batch with 2001 readings", touch("touchpoint.sensor", func(tp *schemas.Touchpoint) { tp.Sensor.Readings = make([]schemas.SensorReading, 2001) }), `field=sensor.readings value="2001" rule=must have at most 2000 items`},
		{"a reading with a bad time", touch("touchpoint.sensor", func(tp *schemas.Touchpoint) { tp.Sensor.Readings[1].Time = "later" }), `field=sensor.readings[1].time value="later" rule=must be an RFC 3339 date-time like 2026-01-02T15:04:05Z`},
		{"a reading with too much light", touch("touchpoint.sensor", func(tp *schemas.Touchpoint) { tp.Sensor.Readings[1].Light = f(300000) }), `field=sensor.readings[1].light value="300000" rule=must be between 0 and 200000 lux`},
		{"a reading with a 2000 g shock", touch("touchpoint.sensor", func(tp *schemas.Touchpoint) { tp.Sensor.Readings[1].Shock = f(2000) }), `field=sensor.readings[1].shock value="2000" rule=must be between 0 and 1000 g`},
		{"a reading with humidity over 100", touch("touchpoint.sensor", func(tp *schemas.Touchpoint) { tp.Sensor.Readings[1].Humidity = f(101) }), `field=sensor.readings[1].humidity value="101" rule=must be between 0 and 100 %RH`},
		{"a reading with nothing measured", touch("touchpoint.sensor", func(tp *schemas.Touchpoint) {
			tp.Sensor.Readings[1] = schemas.SensorReading{Time: "2026-11-27T09:00:00Z"}
		}), `field=sensor.readings[1] value="{}" rule=a reading needs at least one quantity`},
		{"a reading with latitude only", touch("touchpoint.sensor", func(tp *schemas.Touchpoint) { tp.Sensor.Readings[1].Lat = f(1) }), `field=sensor.readings[1].lat value="" rule=lat and lon must be given together`},
		{"a summary of a quantity nobody measured", touch("touchpoint.sensor", func(tp *schemas.Touchpoint) {
			for i := range tp.Sensor.Readings {
				tp.Sensor.Readings[i].Light = nil
			}
		}), `field=sensor.summary.light value="present" rule=summary given but no reading carries light`},
		{"a summary with the wrong minimum", touch("touchpoint.sensor", func(tp *schemas.Touchpoint) { tp.Sensor.Summary.Humidity.Min = 1 }), `field=sensor.summary.humidity.min value="1" rule=must equal the readings' minimum 80`},
		{"a POD without a receiver", touch("touchpoint.pod", func(tp *schemas.Touchpoint) { tp.POD.Receiver = "" }), `field=pod.receiver value="" rule=is required`},
		{"a POD at a bad place", touch("touchpoint.pod", func(tp *schemas.Touchpoint) { tp.POD.Place = "Busan" }), `field=pod.place value="Busan" rule=UN/LOCODE must start with an ISO 3166-1 country code`},
		{"a POD at a bad time", touch("touchpoint.pod", func(tp *schemas.Touchpoint) { tp.POD.Time = "" }), `field=pod.time value="" rule=must be an RFC 3339 date-time like 2026-01-02T15:04:05Z`},
		{"a POD with 21 exceptions", touch("touchpoint.pod", func(tp *schemas.Touchpoint) { tp.POD.Exceptions = make([]string, 21) }), `field=pod.exceptions value="21" rule=must have at most 20 items`},
		{"a POD with an empty exception", touch("touchpoint.pod", func(tp *schemas.Touchpoint) { tp.POD.Exceptions = []string{""} }), `field=pod.exceptions[0] value="" rule=is required`},
		{"an incident of unknown cause", touch("touchpoint.incident", func(tp *schemas.Touchpoint) { tp.Incident.Cause = "aliens" }), `field=incident.cause value="aliens" rule=must be one of seal-broken, seal-removed, seal-check-failed, temperature-excursion, damage, delay, theft, tamper, other`},
		{"an incident about a malformed record", touch("touchpoint.incident", func(tp *schemas.Touchpoint) { tp.Incident.RelatedRecord = "r1" }), `field=incident.relatedRecord value="r1" rule=SHA-256 must be 64 lowercase hex digits`},
		{"a correction without a reason", touch("touchpoint.correction", func(tp *schemas.Touchpoint) { tp.Correction.Reason = "" }), `field=correction.reason value="" rule=is required`},
		{"a correction with 21 changes", touch("touchpoint.correction", func(tp *schemas.Touchpoint) { tp.Correction.Changes = make([]schemas.Change, 21) }), `field=correction.changes value="21" rule=must have at most 20 items`},
		{"a correction of a field with a space", touch("touchpoint.correction", func(tp *schemas.Touchpoint) { tp.Correction.Changes[0].Field = "a b" }), `field=correction.changes[0].field value="a b" rule=must be a field path of 1-64 characters`},
		{"a correction with a long old value", touch("touchpoint.correction", func(tp *schemas.Touchpoint) { tp.Correction.Changes[0].OldValue = long }), `field=correction.changes[0].oldValue value="` + long[:64] + `..." rule=must have at most 2000 characters, got 2001`},
		{"a correction with a long new value", touch("touchpoint.correction", func(tp *schemas.Touchpoint) { tp.Correction.Changes[0].NewValue = long }), `field=correction.changes[0].newValue value="` + long[:64] + `..." rule=must have at most 2000 characters, got 2001`},
		{"a correction with 11 approvals", touch("touchpoint.correction", func(tp *schemas.Touchpoint) { tp.Correction.Approvals = make([]string, 11) }), `field=correction.approvals value="11" rule=must have at most 10 items`},
		{"a correction approved by a malformed address", touch("touchpoint.correction", func(tp *schemas.Touchpoint) { tp.Correction.Approvals = []string{"0x1"} }), `field=correction.approvals[0] value="0x1" rule=address must be 0x followed by 40 hex digits`},
		{"a declaration with a bad office code", decl(func(d *schemas.Declaration) { d.OfficeID = "30-1" }), `field=officeId value="30-1" rule=must be 1-16 letters or digits`},
		{"a declaration with a bad HS code", decl(func(d *schemas.Declaration) { d.HSCode = "1" }), `field=hsCode value="1" rule=HS code must have 6 to 10 digits, got 1 characters`},
		{"a declaration from an unknown country", decl(func(d *schemas.Declaration) { d.CountryOfDeparture = "XX" }), `field=countryOfDeparture value="XX" rule=must be an ISO 3166-1 alpha-2 country code`},
		{"a declaration with a negative price", decl(func(d *schemas.Declaration) { d.ItemPrice = -1 }), `field=itemPrice value="-1" rule=must be between 0 and 1e+15 currency units`},
		{"a declaration with a negative tax rate", decl(func(d *schemas.Declaration) { d.TaxRate = -1 }), `field=taxRate value="-1" rule=must be between 0 and 1000 percent`},
		{"a declaration with an enormous mass", decl(func(d *schemas.Declaration) { d.NetMass = 2e9 }), `field=netMass value="2000000000" rule=must be between 0 and 1e+09 kg`},
		{"a declaration with a bad shipment ID", decl(func(d *schemas.Declaration) { d.ShipmentID = "a b" }), `field=shipmentId value="a b" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
		{"a declaration with a bad date", decl(func(d *schemas.Declaration) { d.Date = "01/01/2020" }), `field=date value="01/01/2020" rule=must be an RFC 3339 full-date like 2026-01-02`},
		{"a declaration with a bad ID", decl(func(d *schemas.Declaration) { d.ID = "" }), `field=id value="" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
		{"a document with a bad owner", doc(func(d *schemas.DocumentAnchor) { d.Owner = "" }), `field=owner value="" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
		{"a document larger than 1 TiB", doc(func(d *schemas.DocumentAnchor) { d.Size = 1<<40 + 1 }), `field=size value="1099511627777" rule=must be between 1 and 1099511627776 bytes`},
		{"a document with a long name", doc(func(d *schemas.DocumentAnchor) { d.Name = long }), `field=name value="` + long[:64] + `..." rule=must have at most 200 characters, got 2001`},
		{"a document for a bad shipment ID", doc(func(d *schemas.DocumentAnchor) { d.ShipmentID = "/" }), `field=shipmentId value="/" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
		{"a document for a bad declaration ID", doc(func(d *schemas.DocumentAnchor) { d.DeclarationID = "/" }), `field=declarationId value="/" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
		{"a document with a bad hash", doc(func(d *schemas.DocumentAnchor) { d.SHA256 = "" }), `field=sha256 value="" rule=SHA-256 must be 64 lowercase hex digits`},
		{"a document with an unknown type", doc(func(d *schemas.DocumentAnchor) { d.DocType = "memo" }), `field=docType value="memo" rule=must be one of invoice, packing-list, bill-of-lading, certificate-of-origin, certificate, customs-declaration, insurance, inspection-report, other`},
		{"a document with a bad media type", doc(func(d *schemas.DocumentAnchor) { d.MediaType = "pdf" }), `field=mediaType value="pdf" rule=must be a lowercase media type like application/pdf`},
		{"a compliance record about an unknown subject type", comp("compliance.alert", func(c *schemas.ComplianceRecord) { c.SubjectType = "vessel" }), `field=subjectType value="vessel" rule=must be one of declaration, shipment, partner, record, document, archive, compliance`},
		{"a compliance record without subject", comp("compliance.alert", func(c *schemas.ComplianceRecord) { c.SubjectID = "" }), `field=subjectId value="" rule=is required`},
		{"a compliance record with a bad time", comp("compliance.alert", func(c *schemas.ComplianceRecord) { c.CreatedAt = "" }), `field=createdAt value="" rule=must be an RFC 3339 date-time like 2026-01-02T15:04:05Z`},
		{"a compliance record with 21 reasons", comp("compliance.anomaly-score", func(c *schemas.ComplianceRecord) { c.Reasons = make([]string, 21) }), `field=reasons value="21" rule=must have at most 20 items`},
		{"a compliance record with an empty reason", comp("compliance.anomaly-score", func(c *schemas.ComplianceRecord) { c.Reasons = []string{""} }), `field=reasons[0] value="" rule=is required`},
		{"a compliance record with a long model name", comp("compliance.anomaly-score", func(c *schemas.ComplianceRecord) { c.Model = long }), `field=model value="` + long[:64] + `..." rule=must have at most 64 characters, got 2001`},
		{"an alert of unknown severity", comp("compliance.alert", func(c *schemas.ComplianceRecord) { c.Severity = "meh" }), `field=severity value="meh" rule=must be one of info, low, medium, high, critical`},
		{"an ack referring to a malformed ID", comp("compliance.alert-ack", func(c *schemas.ComplianceRecord) { c.RefersTo = "x" }), `field=refersTo value="x" rule=SHA-256 must be 64 lowercase hex digits`},
		{"an ack without a target", comp("compliance.alert-ack", func(c *schemas.ComplianceRecord) { c.RefersTo = "" }), `field=refersTo value="" rule=an acknowledgement must refer to an alert`},
		{"an ack without an officer", comp("compliance.alert-ack", func(c *schemas.ComplianceRecord) { c.Officer = "" }), `field=officer value="" rule=an acknowledgement names the officer who acted`},
		{"a clearance without a target", comp("compliance.screening-clearance", func(c *schemas.ComplianceRecord) { c.RefersTo = "" }), `field=refersTo value="" rule=a clearance must refer to a screening hit`},
		{"an anomaly score without a score", comp("compliance.anomaly-score", func(c *schemas.ComplianceRecord) { c.Score = nil }), `field=score value="" rule=an anomaly score needs a score 0-100`},
		{"an anomaly threshold over 100", comp("compliance.anomaly-score", func(c *schemas.ComplianceRecord) { c.Threshold = f(120) }), `field=threshold value="120" rule=must be between 0 and 100 points`},
		{"a compliance incident without a message", comp("compliance.incident", func(c *schemas.ComplianceRecord) { c.Message = "" }), `field=message value="" rule=an incident needs a message`},
		{"a digest without its digest", comp("compliance.access-log-digest", func(c *schemas.ComplianceRecord) { c.Digest = nil }), `field=digest value="" rule=an access-log digest needs its digest`},
		{"a digest ending before it starts", comp("compliance.access-log-digest", func(c *schemas.ComplianceRecord) { c.Digest.ToSeq = 0 }), `field=digest.toSeq value="0" rule=must not be below fromSeq 1`},
		{"a digest with a bad head hash", comp("compliance.access-log-digest", func(c *schemas.ComplianceRecord) { c.Digest.HeadSHA256 = "x" }), `field=digest.headSha256 value="x" rule=SHA-256 must be 64 lowercase hex digits`},
		{"a digest with a bad previous hash", comp("compliance.access-log-digest", func(c *schemas.ComplianceRecord) { c.Digest.PrevSHA256 = "x" }), `field=digest.prevSha256 value="x" rule=SHA-256 must be 64 lowercase hex digits`},
		{"a screening match with an empty list name", comp("compliance.screening-hit", func(c *schemas.ComplianceRecord) { c.Screening.ListName = "" }), `field=screening.listName value="" rule=is required`},
		{"a screening match with a long list version", comp("compliance.screening-hit", func(c *schemas.ComplianceRecord) { c.Screening.ListVersion = long }), `field=screening.listVersion value="` + long[:64] + `..." rule=must have at most 64 characters, got 2001`},
		{"an amendment of a bad declaration ID", amend(func(a *schemas.Amendment) { a.DeclarationID = "" }), `field=declarationId value="" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
		{"an amendment with a long old value", amend(func(a *schemas.Amendment) { a.OldValue = long }), `field=oldValue value="` + long[:64] + `..." rule=must have at most 64 characters, got 2001`},
		{"an amendment with a long new value", amend(func(a *schemas.Amendment) { a.NewValue = long }), `field=newValue value="` + long[:64] + `..." rule=must have at most 64 characters, got 2001`},
		{"an amendment without a reason", amend(func(a *schemas.Amendment) { a.Reason = "" }), `field=reason value="" rule=is required`},
		{"an amendment of an unknown field", amend(func(a *schemas.Amendment) { a.Field = "fraud" }), `field=field value="fraud" rule=must be one of date, officeId, processType, importType, importUse, paymentType, modeOfTransport, declarantId, importerId, sellerId, courierId, hsCode, countryOfDeparture, countryOfOrigin, taxRate, taxType, originIndicator, netMass, itemPrice, shipmentId`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(t)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
}
