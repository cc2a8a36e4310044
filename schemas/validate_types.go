package schemas

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Size limits shared by the Go validators and the JSON Schemas.
const (
	MaxNameLen       = 200
	MaxTextLen       = 2000
	MaxShortLen      = 64
	MaxRoles         = 9
	MaxKeys          = 32
	MaxParties       = 32
	MaxHSCodes       = 100
	MaxRouteStops    = 30
	MaxReadings      = 2000
	MaxExceptions    = 20
	MaxChanges       = 20
	MaxApprovals     = 10
	MaxReasons       = 20
	MaxDocumentBytes = int64(1) << 40
)

// Physical ranges accepted for sensor readings.
const (
	MinTemperature, MaxTemperature = -100.0, 100.0 // degrees Celsius
	MinHumidity, MaxHumidity       = 0.0, 100.0    // percent RH
	MinLight, MaxLight             = 0.0, 200000.0 // lux (full sunlight is ~100k)
	MinShock, MaxShock             = 0.0, 1000.0   // g
)

// statsTolerance bounds the rounding difference allowed between a summary's
// mean and the mean recomputed from the readings.
const statsTolerance = 1e-6

var (
	mspRE       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$`)
	aeoRE       = regexp.MustCompile(`^[A-Z]{2}[A-Z0-9 -]{2,33}$`)
	mediaTypeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$`)
	sizeTypeRE  = regexp.MustCompile(`^[0-9A-Z]{4}$`)
	codeRE      = regexp.MustCompile(`^[A-Za-z0-9]{1,16}$`)
	fieldNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.\[\]-]{0,63}$`)
)

// Validate checks a partner as submitted for registration.
func (p *Partner) Validate() error {
	if err := ValidateID("id", p.ID); err != nil {
		return err
	}
	if !mspRE.MatchString(p.MSPID) {
		return fieldErr("mspId", p.MSPID, "MSP ID must be 1-64 letters, digits, . or -")
	}
	if err := checkText("legalName", p.LegalName, 1, MaxNameLen); err != nil {
		return err
	}
	if err := ValidateCountry("country", p.Country); err != nil {
		return err
	}
	if len(p.Roles) == 0 {
		return fieldErr("roles", "", "at least one role is required")
	}
	if err := maxItems("roles", len(p.Roles), MaxRoles); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, r := range p.Roles {
		if err := oneOf(idx("roles", i), r, Roles...); err != nil {
			return err
		}
		if seen[r] {
			return fieldErr(idx("roles", i), r, "role listed twice")
		}
		seen[r] = true
	}
	if p.AEOCertificate != "" {
		if !aeoRE.MatchString(p.AEOCertificate) {
			return fieldErr("aeoCertificate", p.AEOCertificate, "AEO certificate number must start with a country code and have 4-35 capital letters, digits, spaces or hyphens")
		}
		if _, ok := countries[p.AEOCertificate[:2]]; !ok {
			return fieldErr("aeoCertificate", p.AEOCertificate, "AEO certificate number must start with an ISO 3166-1 country code")
		}
	}
	if err := maxItems("keys", len(p.Keys), MaxKeys); err != nil {
		return err
	}
	addrs := map[string]bool{}
	for i := range p.Keys {
		if err := p.Keys[i].Validate(idx("keys", i)); err != nil {
			return err
		}
		n := NormalizeAddress(p.Keys[i].Address)
		if addrs[n] {
			return fieldErr(idx("keys", i)+".address", p.Keys[i].Address, "key listed twice")
		}
		addrs[n] = true
	}
	if p.Status != "" {
		if err := oneOf("status", p.Status, PartnerActive, PartnerSuspended); err != nil {
			return err
		}
	}
	return checkText("statusReason", p.StatusReason, 0, MaxTextLen)
}

// Validate checks a signing key: a valid address derived from its public key.
func (k *SigningKey) Validate(path string) error {
	if err := ValidateAddress(join(path, "address"), k.Address); err != nil {
		return err
	}
	addr, err := PublicKeyAddress(join(path, "publicKey"), k.PublicKey)
	if err != nil {
		return err
	}
	if NormalizeAddress(k.Address) != addr {
		return fieldErr(join(path, "address"), k.Address, "address must be derived from publicKey (%s)", addr)
	}
	if err := checkText(join(path, "label"), k.Label, 0, MaxShortLen); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"addedAt", k.AddedAt}, {"revokedAt", k.RevokedAt}} {
		if f.v != "" {
			if _, err := ValidateTime(join(path, f.name), f.v); err != nil {
				return err
			}
		}
	}
	return checkText(join(path, "revokeReason"), k.RevokeReason, 0, MaxTextLen)
}

func (p *Party) validate(path string) error {
	if p.PartnerID != "" {
		if err := ValidateID(join(path, "partnerId"), p.PartnerID); err != nil {
			return err
		}
	}
	if err := checkText(join(path, "name"), p.Name, 1, MaxNameLen); err != nil {
		return err
	}
	if err := ValidateCountry(join(path, "country"), p.Country); err != nil {
		return err
	}
	return checkText(join(path, "address"), p.Address, 0, MaxTextLen)
}

// Validate checks a shipment as submitted for creation.
func (s *Shipment) Validate() error {
	if err := ValidateID("id", s.ID); err != nil {
		return err
	}
	if err := s.Consignor.validate("consignor"); err != nil {
		return err
	}
	if err := s.Consignee.validate("consignee"); err != nil {
		return err
	}
	if err := maxItems("parties", len(s.Parties), MaxParties); err != nil {
		return err
	}
	for i, p := range s.Parties {
		if err := ValidateID(idx("parties", i), p); err != nil {
			return err
		}
	}
	if err := ValidateUNLocode("origin", s.Origin); err != nil {
		return err
	}
	if err := ValidateUNLocode("destination", s.Destination); err != nil {
		return err
	}
	if len(s.HSCodes) == 0 {
		return fieldErr("hsCodes", "", "at least one HS code is required")
	}
	if err := maxItems("hsCodes", len(s.HSCodes), MaxHSCodes); err != nil {
		return err
	}
	for i, h := range s.HSCodes {
		if err := ValidateHSCode(idx("hsCodes", i), h); err != nil {
			return err
		}
	}
	if err := maxItems("route", len(s.Route), MaxRouteStops); err != nil {
		return err
	}
	for i, r := range s.Route {
		if err := ValidateUNLocode(idx("route", i), r); err != nil {
			return err
		}
	}
	if tr := s.TemperatureRange; tr != nil {
		if err := ValidateRange("temperatureRange.min", tr.Min, MinTemperature, MaxTemperature, "°C"); err != nil {
			return err
		}
		if err := ValidateRange("temperatureRange.max", tr.Max, MinTemperature, MaxTemperature, "°C"); err != nil {
			return err
		}
		if tr.Min > tr.Max {
			return fieldErr("temperatureRange.max", fmtFloat(tr.Max), "must not be below temperatureRange.min %g", tr.Min)
		}
	}
	dep, err := ValidateTime("plannedDeparture", s.PlannedDeparture)
	if err != nil {
		return err
	}
	arr, err := ValidateTime("plannedArrival", s.PlannedArrival)
	if err != nil {
		return err
	}
	if arr.Before(dep) {
		return fieldErr("plannedArrival", s.PlannedArrival, "must not be before plannedDeparture %s", s.PlannedDeparture)
	}
	return nil
}

// Validate checks the envelope and the body of a touchpoint. It does not
// check the signature (see RecoverSigner).
func (tp *Touchpoint) Validate() error {
	if err := oneOf("type", tp.Type, TouchpointTypes...); err != nil {
		return err
	}
	if err := ValidateID("shipmentId", tp.ShipmentID); err != nil {
		return err
	}
	if _, err := ValidateTime("eventTime", tp.EventTime); err != nil {
		return err
	}
	if err := tp.Location.validate("location"); err != nil {
		return err
	}
	if err := ValidateAddress("signer", tp.Signer); err != nil {
		return err
	}
	if tp.ID != "" {
		if err := ValidateSHA256("id", tp.ID); err != nil {
			return err
		}
	}
	bodies := map[string]bool{
		TypeContainer: tp.Container != nil, TypeSeal: tp.Seal != nil, TypeOrigin: tp.Origin != nil,
		TypeSensor: tp.Sensor != nil, TypePOD: tp.POD != nil, TypeIncident: tp.Incident != nil,
		TypeCorrection: tp.Correction != nil,
	}
	for _, t := range TouchpointTypes {
		if t != tp.Type && bodies[t] {
			return fieldErr(t, "present", "a %s record must not carry a %s body", tp.Type, t)
		}
	}
	if !bodies[tp.Type] {
		return fieldErr(tp.Type, "", "a %s record needs its %s body", tp.Type, tp.Type)
	}
	switch tp.Type {
	case TypeContainer:
		return tp.Container.validate("container")
	case TypeSeal:
		return tp.Seal.validate("seal")
	case TypeOrigin:
		return tp.Origin.validate("origin")
	case TypeSensor:
		return tp.Sensor.validate("sensor")
	case TypePOD:
		return tp.POD.validate("pod")
	case TypeIncident:
		return tp.Incident.validate("incident")
	default:
		return tp.Correction.validate("correction")
	}
}

func (l *Location) validate(path string) error {
	if err := ValidateUNLocode(join(path, "unlocode"), l.UNLocode); err != nil {
		return err
	}
	if err := checkText(join(path, "name"), l.Name, 0, MaxNameLen); err != nil {
		return err
	}
	return validateLatLon(path, l.Lat, l.Lon)
}

func validateLatLon(path string, lat, lon *float64) error {
	if (lat == nil) != (lon == nil) {
		return fieldErr(join(path, "lat"), "", "lat and lon must be given together")
	}
	if lat != nil {
		if err := ValidateRange(join(path, "lat"), *lat, -90, 90, "degrees"); err != nil {
			return err
		}
		if err := ValidateRange(join(path, "lon"), *lon, -180, 180, "degrees"); err != nil {
			return err
		}
	}
	return nil
}

func (c *ContainerEvent) validate(path string) error {
	if err := ValidateContainerNumber(join(path, "number"), c.Number); err != nil {
		return err
	}
	if err := oneOf(join(path, "action"), c.Action, ContainerGateIn, ContainerStuffed, ContainerLoaded,
		ContainerDeparted, ContainerArrived, ContainerDischarged, ContainerGateOut); err != nil {
		return err
	}
	if c.SizeType != "" && !sizeTypeRE.MatchString(c.SizeType) {
		return fieldErr(join(path, "sizeType"), c.SizeType, "ISO 6346 size/type code must be 4 capital letters or digits")
	}
	if err := checkText(join(path, "vessel"), c.Vessel, 0, MaxNameLen); err != nil {
		return err
	}
	return checkText(join(path, "voyage"), c.Voyage, 0, MaxShortLen)
}

func (s *SealEvent) validate(path string) error {
	if err := ValidateSealClass(join(path, "class"), s.Class); err != nil {
		return err
	}
	if err := ValidateSealNumber(join(path, "number"), s.Number); err != nil {
		return err
	}
	if s.ContainerNumber != "" {
		if err := ValidateContainerNumber(join(path, "containerNumber"), s.ContainerNumber); err != nil {
			return err
		}
	}
	if err := oneOf(join(path, "action"), s.Action, SealAffixed, SealVerified, SealBroken, SealRemoved); err != nil {
		return err
	}
	if s.Action == SealVerified && s.VVTT == nil {
		return fieldErr(join(path, "vvtt"), "", "a verification needs its View-Verify-Tug-Twist result")
	}
	if s.Action != SealVerified && s.VVTT != nil {
		return fieldErr(join(path, "vvtt"), "present", "only a verification carries a View-Verify-Tug-Twist result")
	}
	if s.VVTT != nil {
		return checkText(join(path, "vvtt.notes"), s.VVTT.Notes, 0, MaxTextLen)
	}
	return nil
}

func (o *OriginCertificate) validate(path string) error {
	if err := checkText(join(path, "certificateNumber"), o.CertificateNumber, 1, MaxShortLen); err != nil {
		return err
	}
	if err := checkText(join(path, "issuer"), o.Issuer, 1, MaxNameLen); err != nil {
		return err
	}
	if err := ValidateCountry(join(path, "countryOfOrigin"), o.CountryOfOrigin); err != nil {
		return err
	}
	if err := ValidateHSCode(join(path, "hsCode"), o.HSCode); err != nil {
		return err
	}
	if err := ValidateSHA256(join(path, "documentSha256"), o.DocumentSHA256); err != nil {
		return err
	}
	from, err := ValidateDate(join(path, "validFrom"), o.ValidFrom)
	if err != nil {
		return err
	}
	until, err := ValidateDate(join(path, "validUntil"), o.ValidUntil)
	if err != nil {
		return err
	}
	if until.Before(from) {
		return fieldErr(join(path, "validUntil"), o.ValidUntil, "must not be before validFrom %s", o.ValidFrom)
	}
	return nil
}

func (s *SensorBatch) validate(path string) error {
	if err := ValidateID(join(path, "deviceId"), s.DeviceID); err != nil {
		return err
	}
	if len(s.Readings) == 0 {
		return fieldErr(join(path, "readings"), "", "at least one reading is required")
	}
	if err := maxItems(join(path, "readings"), len(s.Readings), MaxReadings); err != nil {
		return err
	}
	for i := range s.Readings {
		if err := s.Readings[i].validate(idx(join(path, "readings"), i)); err != nil {
			return err
		}
	}
	want := Summarize(s.Readings)
	checks := []struct {
		name      string
		got, want *Stats
	}{
		{"temperature", s.Summary.Temperature, want.Temperature},
		{"humidity", s.Summary.Humidity, want.Humidity},
		{"light", s.Summary.Light, want.Light},
		{"shock", s.Summary.Shock, want.Shock},
	}
	for _, c := range checks {
		f := join(path, "summary."+c.name)
		switch {
		case c.got == nil && c.want == nil:
		case c.got == nil:
			return fieldErr(f, "", "summary is required because readings carry %s", c.name)
		case c.want == nil:
			return fieldErr(f, "present", "summary given but no reading carries %s", c.name)
		case c.got.Min != c.want.Min:
			return fieldErr(f+".min", fmtFloat(c.got.Min), "must equal the readings' minimum %g", c.want.Min)
		case c.got.Max != c.want.Max:
			return fieldErr(f+".max", fmtFloat(c.got.Max), "must equal the readings' maximum %g", c.want.Max)
		case math.Abs(c.got.Mean-c.want.Mean) > statsTolerance*math.Max(1, math.Abs(c.want.Mean)):
			return fieldErr(f+".mean", fmtFloat(c.got.Mean), "must equal the readings' mean %g", c.want.Mean)
		}
	}
	return nil
}

func (r *SensorReading) validate(path string) error {
	if _, err := ValidateTime(join(path, "time"), r.Time); err != nil {
		return err
	}
	ranges := []struct {
		name     string
		v        *float64
		min, max float64
		unit     string
	}{
		{"temperature", r.Temperature, MinTemperature, MaxTemperature, "°C"},
		{"humidity", r.Humidity, MinHumidity, MaxHumidity, "%RH"},
		{"light", r.Light, MinLight, MaxLight, "lux"},
		{"shock", r.Shock, MinShock, MaxShock, "g"},
	}
	has := r.DoorOpen != nil || r.Lat != nil
	for _, q := range ranges {
		if q.v != nil {
			has = true
			if err := ValidateRange(join(path, q.name), *q.v, q.min, q.max, q.unit); err != nil {
				return err
			}
		}
	}
	if !has {
		return fieldErr(path, "{}", "a reading needs at least one quantity")
	}
	return validateLatLon(path, r.Lat, r.Lon)
}

// Summarize computes the min/max/mean of every quantity present in readings.
func Summarize(readings []SensorReading) SensorSummary {
	acc := func(get func(*SensorReading) *float64) *Stats {
		var st *Stats
		n, sum := 0, 0.0
		for i := range readings {
			v := get(&readings[i])
			if v == nil {
				continue
			}
			if st == nil {
				st = &Stats{Min: *v, Max: *v}
			}
			st.Min = math.Min(st.Min, *v)
			st.Max = math.Max(st.Max, *v)
			sum += *v
			n++
		}
		if st != nil {
			st.Mean = sum / float64(n)
		}
		return st
	}
	return SensorSummary{
		Temperature: acc(func(r *SensorReading) *float64 { return r.Temperature }),
		Humidity:    acc(func(r *SensorReading) *float64 { return r.Humidity }),
		Light:       acc(func(r *SensorReading) *float64 { return r.Light }),
		Shock:       acc(func(r *SensorReading) *float64 { return r.Shock }),
	}
}

func (p *ProofOfDelivery) validate(path string) error {
	if err := checkText(join(path, "receiver"), p.Receiver, 1, MaxNameLen); err != nil {
		return err
	}
	if err := ValidateUNLocode(join(path, "place"), p.Place); err != nil {
		return err
	}
	if _, err := ValidateTime(join(path, "time"), p.Time); err != nil {
		return err
	}
	if err := oneOf(join(path, "condition"), p.Condition, ConditionGood, ConditionDamaged, ConditionPartial, ConditionRefused); err != nil {
		return err
	}
	if err := maxItems(join(path, "exceptions"), len(p.Exceptions), MaxExceptions); err != nil {
		return err
	}
	for i, e := range p.Exceptions {
		if err := checkText(idx(join(path, "exceptions"), i), e, 1, MaxTextLen); err != nil {
			return err
		}
	}
	return nil
}

func (in *Incident) validate(path string) error {
	if err := oneOf(join(path, "cause"), in.Cause, IncidentCauses...); err != nil {
		return err
	}
	if err := checkText(join(path, "description"), in.Description, 1, MaxTextLen); err != nil {
		return err
	}
	if in.RelatedRecord != "" {
		return ValidateSHA256(join(path, "relatedRecord"), in.RelatedRecord)
	}
	return nil
}

func (c *Correction) validate(path string) error {
	if err := ValidateSHA256(join(path, "corrects"), c.Corrects); err != nil {
		return err
	}
	if err := checkText(join(path, "reason"), c.Reason, 1, MaxTextLen); err != nil {
		return err
	}
	if err := maxItems(join(path, "changes"), len(c.Changes), MaxChanges); err != nil {
		return err
	}
	for i, ch := range c.Changes {
		p := idx(join(path, "changes"), i)
		if !fieldNameRE.MatchString(ch.Field) {
			return fieldErr(p+".field", ch.Field, "must be a field path of 1-64 characters")
		}
		if err := checkText(p+".oldValue", ch.OldValue, 0, MaxTextLen); err != nil {
			return err
		}
		if err := checkText(p+".newValue", ch.NewValue, 0, MaxTextLen); err != nil {
			return err
		}
	}
	if err := maxItems(join(path, "approvals"), len(c.Approvals), MaxApprovals); err != nil {
		return err
	}
	for i, a := range c.Approvals {
		if err := ValidateAddress(idx(join(path, "approvals"), i), a); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a declaration. Countries may be "ZZ" (unknown), as in the
// customs data set.
func (d *Declaration) Validate() error {
	if err := ValidateID("id", d.ID); err != nil {
		return err
	}
	if _, err := ValidateDate("date", d.Date); err != nil {
		return err
	}
	codes := []struct {
		name, v  string
		required bool
	}{
		{"officeId", d.OfficeID, true}, {"processType", d.ProcessType, true}, {"importType", d.ImportType, true},
		{"importUse", d.ImportUse, true}, {"paymentType", d.PaymentType, true}, {"modeOfTransport", d.ModeOfTransport, true},
		{"declarantId", d.DeclarantID, true}, {"importerId", d.ImporterID, true}, {"sellerId", d.SellerID, false},
		{"courierId", d.CourierID, false}, {"taxType", d.TaxType, true}, {"originIndicator", d.OriginIndicator, true},
	}
	for _, c := range codes {
		if c.v == "" && !c.required {
			continue
		}
		if !codeRE.MatchString(c.v) {
			return fieldErr(c.name, c.v, "must be 1-16 letters or digits")
		}
	}
	if err := ValidateHSCode("hsCode", d.HSCode); err != nil {
		return err
	}
	if err := validateCountryOrUnknown("countryOfDeparture", d.CountryOfDeparture); err != nil {
		return err
	}
	if err := validateCountryOrUnknown("countryOfOrigin", d.CountryOfOrigin); err != nil {
		return err
	}
	if err := ValidateRange("taxRate", d.TaxRate, 0, 1000, "percent"); err != nil {
		return err
	}
	if err := ValidateRange("netMass", d.NetMass, 0, 1e9, "kg"); err != nil {
		return err
	}
	if err := ValidateRange("itemPrice", d.ItemPrice, 0, 1e15, "currency units"); err != nil {
		return err
	}
	if d.ShipmentID != "" {
		return ValidateID("shipmentId", d.ShipmentID)
	}
	return nil
}

// Validate checks an amendment as proposed: the declaration, a known field
// and a new value that differs from the old one and is valid for that field.
func (a *Amendment) Validate() error {
	if err := ValidateID("declarationId", a.DeclarationID); err != nil {
		return err
	}
	if err := oneOf("field", a.Field, AmendableFields...); err != nil {
		return err
	}
	if err := checkText("oldValue", a.OldValue, 0, MaxShortLen); err != nil {
		return err
	}
	if err := checkText("newValue", a.NewValue, 0, MaxShortLen); err != nil {
		return err
	}
	if a.OldValue == a.NewValue {
		return fieldErr("newValue", a.NewValue, "must differ from oldValue")
	}
	if err := checkText("reason", a.Reason, 1, MaxTextLen); err != nil {
		return err
	}
	var probe Declaration
	if err := probe.Set(a.Field, a.NewValue); err != nil {
		return err
	}
	return nil
}

// AmendableFields are the declaration fields an amendment may change.
var AmendableFields = []string{"date", "officeId", "processType", "importType", "importUse", "paymentType",
	"modeOfTransport", "declarantId", "importerId", "sellerId", "courierId", "hsCode", "countryOfDeparture",
	"countryOfOrigin", "taxRate", "taxType", "originIndicator", "netMass", "itemPrice", "shipmentId"}

// Get returns a declaration field (by JSON name) as text.
func (d *Declaration) Get(field string) (string, bool) {
	switch field {
	case "taxRate":
		return fmtFloat(d.TaxRate), true
	case "netMass":
		return fmtFloat(d.NetMass), true
	case "itemPrice":
		return fmtFloat(d.ItemPrice), true
	}
	p := d.stringField(field)
	if p == nil {
		return "", false
	}
	return *p, true
}

// Set sets a declaration field (by JSON name) from text and validates the
// value for that field.
func (d *Declaration) Set(field, value string) error {
	switch field {
	case "taxRate", "netMass", "itemPrice":
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fieldErr("newValue", value, "%s must be a number", field)
		}
		switch field {
		case "taxRate":
			d.TaxRate = f
			return ValidateRange("newValue", f, 0, 1000, "percent")
		case "netMass":
			d.NetMass = f
			return ValidateRange("newValue", f, 0, 1e9, "kg")
		default:
			d.ItemPrice = f
			return ValidateRange("newValue", f, 0, 1e15, "currency units")
		}
	}
	p := d.stringField(field)
	if p == nil {
		return fieldErr("field", field, "must be one of %s", strings.Join(AmendableFields, ", "))
	}
	*p = value
	var err error
	switch field {
	case "hsCode":
		err = ValidateHSCode("newValue", value)
	case "countryOfDeparture", "countryOfOrigin":
		err = validateCountryOrUnknown("newValue", value)
	case "date":
		_, err = ValidateDate("newValue", value)
	case "shipmentId":
		if value != "" {
			err = ValidateID("newValue", value)
		}
	case "courierId", "sellerId":
		if value != "" && !codeRE.MatchString(value) {
			err = fieldErr("newValue", value, "must be 1-16 letters or digits")
		}
	default:
		if !codeRE.MatchString(value) {
			err = fieldErr("newValue", value, "must be 1-16 letters or digits")
		}
	}
	return err
}

func (d *Declaration) stringField(field string) *string {
	m := map[string]*string{
		"date": &d.Date, "officeId": &d.OfficeID, "processType": &d.ProcessType, "importType": &d.ImportType,
		"importUse": &d.ImportUse, "paymentType": &d.PaymentType, "modeOfTransport": &d.ModeOfTransport,
		"declarantId": &d.DeclarantID, "importerId": &d.ImporterID, "sellerId": &d.SellerID, "courierId": &d.CourierID,
		"hsCode": &d.HSCode, "countryOfDeparture": &d.CountryOfDeparture, "countryOfOrigin": &d.CountryOfOrigin,
		"taxType": &d.TaxType, "originIndicator": &d.OriginIndicator, "shipmentId": &d.ShipmentID,
	}
	return m[field]
}

// Validate checks a document anchor.
func (a *DocumentAnchor) Validate() error {
	if err := ValidateSHA256("sha256", a.SHA256); err != nil {
		return err
	}
	if err := oneOf("docType", a.DocType, DocumentTypes...); err != nil {
		return err
	}
	if err := ValidateID("owner", a.Owner); err != nil {
		return err
	}
	if !mediaTypeRE.MatchString(a.MediaType) {
		return fieldErr("mediaType", a.MediaType, "must be a lowercase media type like application/pdf")
	}
	if a.Size < 1 || a.Size > MaxDocumentBytes {
		return fieldErr("size", strconv.FormatInt(a.Size, 10), "must be between 1 and %d bytes", MaxDocumentBytes)
	}
	if err := checkText("name", a.Name, 0, MaxNameLen); err != nil {
		return err
	}
	if a.ShipmentID != "" {
		if err := ValidateID("shipmentId", a.ShipmentID); err != nil {
			return err
		}
	}
	if a.DeclarationID != "" {
		return ValidateID("declarationId", a.DeclarationID)
	}
	return nil
}

// Validate checks a compliance record and the fields its kind requires.
func (c *ComplianceRecord) Validate() error {
	if err := oneOf("kind", c.Kind, ComplianceKinds...); err != nil {
		return err
	}
	if err := oneOf("subjectType", c.SubjectType, SubjectTypes...); err != nil {
		return err
	}
	if err := checkText("subjectId", c.SubjectID, 1, 128); err != nil {
		return err
	}
	if _, err := ValidateTime("createdAt", c.CreatedAt); err != nil {
		return err
	}
	if err := maxItems("reasons", len(c.Reasons), MaxReasons); err != nil {
		return err
	}
	for i, r := range c.Reasons {
		if err := checkText(idx("reasons", i), r, 1, MaxTextLen); err != nil {
			return err
		}
	}
	texts := []struct {
		name, v string
		max     int
	}{
		{"model", c.Model, MaxShortLen}, {"officer", c.Officer, MaxNameLen}, {"reason", c.Reason, MaxTextLen},
		{"response", c.Response, MaxTextLen}, {"rule", c.Rule, MaxNameLen}, {"message", c.Message, MaxTextLen},
	}
	for _, t := range texts {
		if err := checkText(t.name, t.v, 0, t.max); err != nil {
			return err
		}
	}
	if c.Severity != "" {
		if err := oneOf("severity", c.Severity, Severities...); err != nil {
			return err
		}
	}
	if c.RefersTo != "" {
		if err := ValidateSHA256("refersTo", c.RefersTo); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		v    *float64
	}{{"score", c.Score}, {"threshold", c.Threshold}} {
		if f.v != nil {
			if err := ValidateRange(f.name, *f.v, 0, 100, "points"); err != nil {
				return err
			}
		}
	}
	switch c.Kind {
	case KindAnomalyScore:
		if c.Score == nil {
			return fieldErr("score", "", "an anomaly score needs a score 0-100")
		}
		if len(c.Reasons) == 0 {
			return fieldErr("reasons", "", "an anomaly score needs at least one reason")
		}
	case KindScreeningHit:
		if c.Screening == nil {
			return fieldErr("screening", "", "a screening hit needs its match")
		}
		return c.Screening.validate("screening")
	case KindScreeningClearance:
		if c.RefersTo == "" {
			return fieldErr("refersTo", "", "a clearance must refer to a screening hit")
		}
		if c.Reason == "" {
			return fieldErr("reason", "", "a clearance needs a reason")
		}
		if c.Officer == "" {
			return fieldErr("officer", "", "a clearance names the officer who cleared it")
		}
	case KindAlert:
		if c.Rule == "" || c.Severity == "" || c.Message == "" {
			return fieldErr("rule", c.Rule, "an alert needs rule, severity and message")
		}
	case KindAlertAck:
		if c.RefersTo == "" {
			return fieldErr("refersTo", "", "an acknowledgement must refer to an alert")
		}
		if c.Response == "" {
			return fieldErr("response", "", "an acknowledgement needs a response")
		}
		if c.Officer == "" {
			return fieldErr("officer", "", "an acknowledgement names the officer who acted")
		}
	case KindIncident:
		if c.Message == "" {
			return fieldErr("message", "", "an incident needs a message")
		}
	case KindAccessLogDigest:
		if c.Digest == nil {
			return fieldErr("digest", "", "an access-log digest needs its digest")
		}
		return c.Digest.validate("digest")
	}
	return nil
}

func (s *ScreeningMatch) validate(path string) error {
	texts := []struct{ name, v string }{
		{"partyRole", s.PartyRole}, {"queriedName", s.QueriedName}, {"matchedName", s.MatchedName},
		{"listName", s.ListName}, {"entryId", s.EntryID},
	}
	for _, t := range texts {
		if err := checkText(join(path, t.name), t.v, 1, MaxNameLen); err != nil {
			return err
		}
	}
	if err := checkText(join(path, "listVersion"), s.ListVersion, 0, MaxShortLen); err != nil {
		return err
	}
	return ValidateRange(join(path, "score"), s.Score, 0, 1, "(similarity)")
}

func (d *AccessLogDigest) validate(path string) error {
	if d.ToSeq < d.FromSeq {
		return fieldErr(join(path, "toSeq"), strconv.FormatUint(d.ToSeq, 10), "must not be below fromSeq %d", d.FromSeq)
	}
	if d.Entries < 0 || uint64(d.Entries) != d.ToSeq-d.FromSeq+1 {
		return fieldErr(join(path, "entries"), strconv.FormatInt(d.Entries, 10), "must equal toSeq-fromSeq+1 = %d", d.ToSeq-d.FromSeq+1)
	}
	if err := ValidateSHA256(join(path, "headSha256"), d.HeadSHA256); err != nil {
		return err
	}
	if d.PrevSHA256 != "" {
		return ValidateSHA256(join(path, "prevSha256"), d.PrevSHA256)
	}
	return nil
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
