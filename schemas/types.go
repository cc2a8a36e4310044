package schemas

// Partner roles.
const (
	RoleExporter          = "exporter"
	RoleImporter          = "importer"
	RoleForwarder         = "forwarder"
	RoleCarrier           = "carrier"
	RoleTerminal          = "terminal"
	RoleBroker            = "broker"
	RoleCertificateIssuer = "certificate-issuer"
	RoleDevice            = "device"
	RoleCustoms           = "customs"
)

// Roles lists every partner role.
var Roles = []string{RoleExporter, RoleImporter, RoleForwarder, RoleCarrier, RoleTerminal,
	RoleBroker, RoleCertificateIssuer, RoleDevice, RoleCustoms}

// Partner statuses.
const (
	PartnerActive    = "active"
	PartnerSuspended = "suspended"
)

// Partner is an organisation (or a device it operates) whose signing keys may
// sign touchpoints. The contract sets Status, CreatedAt, UpdatedAt and the
// keys' AddedAt/RevokedAt.
type Partner struct {
	ID             string       `json:"id"`
	MSPID          string       `json:"mspId"`
	LegalName      string       `json:"legalName"`
	Country        string       `json:"country"`
	Roles          []string     `json:"roles"`
	AEOCertificate string       `json:"aeoCertificate,omitempty"`
	Keys           []SigningKey `json:"keys"`
	Status         string       `json:"status,omitempty"`
	StatusReason   string       `json:"statusReason,omitempty"`
	CreatedAt      string       `json:"createdAt,omitempty"`
	UpdatedAt      string       `json:"updatedAt,omitempty"`
}

// HasRole reports whether the partner holds role.
func (p *Partner) HasRole(role string) bool {
	for _, r := range p.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Key returns the key with the given (any-case) address, or nil.
func (p *Partner) Key(address string) *SigningKey {
	n := NormalizeAddress(address)
	for i := range p.Keys {
		if NormalizeAddress(p.Keys[i].Address) == n {
			return &p.Keys[i]
		}
	}
	return nil
}

// SigningKey is a partner's secp256k1 key: its address (EIP-55) and public key
// (0x-prefixed hex, uncompressed 65 bytes or compressed 33 bytes).
type SigningKey struct {
	Address      string `json:"address"`
	PublicKey    string `json:"publicKey"`
	Label        string `json:"label,omitempty"`
	AddedAt      string `json:"addedAt,omitempty"`
	RevokedAt    string `json:"revokedAt,omitempty"`
	RevokeReason string `json:"revokeReason,omitempty"`
}

// Party is a consignor or consignee. PartnerID links it to a registered
// partner when it has one.
type Party struct {
	PartnerID string `json:"partnerId,omitempty"`
	Name      string `json:"name"`
	Country   string `json:"country"`
	Address   string `json:"address,omitempty"`
}

// TemperatureRange is the permitted cargo temperature in degrees Celsius.
type TemperatureRange struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Shipment is a booked consignment. CreatedBy and CreatedAt are set by the
// contract.
type Shipment struct {
	ID               string            `json:"id"`
	Consignor        Party             `json:"consignor"`
	Consignee        Party             `json:"consignee"`
	Parties          []string          `json:"parties,omitempty"` // partner IDs of forwarders, carriers, brokers, ...
	Origin           string            `json:"origin"`            // UN/LOCODE
	Destination      string            `json:"destination"`       // UN/LOCODE
	HSCodes          []string          `json:"hsCodes"`
	Route            []string          `json:"route,omitempty"` // planned UN/LOCODEs in order
	TemperatureRange *TemperatureRange `json:"temperatureRange,omitempty"`
	PlannedDeparture string            `json:"plannedDeparture"`
	PlannedArrival   string            `json:"plannedArrival"`
	CreatedBy        *Identity         `json:"createdBy,omitempty"`
	CreatedAt        string            `json:"createdAt,omitempty"`
}

// PartnerIDs lists the shipment's linked partners (consignor, consignee and
// parties) without duplicates.
func (s *Shipment) PartnerIDs() []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range append([]string{s.Consignor.PartnerID, s.Consignee.PartnerID}, s.Parties...) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Touchpoint types.
const (
	TypeContainer  = "container"
	TypeSeal       = "seal"
	TypeOrigin     = "origin"
	TypeSensor     = "sensor"
	TypePOD        = "pod"
	TypeIncident   = "incident"
	TypeCorrection = "correction"
)

// TouchpointTypes lists every touchpoint type.
var TouchpointTypes = []string{TypeContainer, TypeSeal, TypeOrigin, TypeSensor, TypePOD, TypeIncident, TypeCorrection}

// Location is where a touchpoint happened.
type Location struct {
	UNLocode string   `json:"unlocode"`
	Name     string   `json:"name,omitempty"`
	Lat      *float64 `json:"lat,omitempty"`
	Lon      *float64 `json:"lon,omitempty"`
}

// Touchpoint is the signed envelope of every shipment event. Exactly one body
// (the field named like Type) is set. ID and Signature are excluded from the
// canonical form; see RecordID and SignRecord.
type Touchpoint struct {
	ID         string             `json:"id,omitempty"`
	Type       string             `json:"type"`
	ShipmentID string             `json:"shipmentId"`
	EventTime  string             `json:"eventTime"`
	Location   Location           `json:"location"`
	Signer     string             `json:"signer"`
	Signature  string             `json:"signature,omitempty"`
	Container  *ContainerEvent    `json:"container,omitempty"`
	Seal       *SealEvent         `json:"seal,omitempty"`
	Origin     *OriginCertificate `json:"origin,omitempty"`
	Sensor     *SensorBatch       `json:"sensor,omitempty"`
	POD        *ProofOfDelivery   `json:"pod,omitempty"`
	Incident   *Incident          `json:"incident,omitempty"`
	Correction *Correction        `json:"correction,omitempty"`
}

// Container actions.
const (
	ContainerGateIn     = "gate-in"
	ContainerStuffed    = "stuffed"
	ContainerLoaded     = "loaded"
	ContainerDeparted   = "departed"
	ContainerArrived    = "arrived"
	ContainerDischarged = "discharged"
	ContainerGateOut    = "gate-out"
)

// ContainerEvent is a container movement.
type ContainerEvent struct {
	Number   string `json:"number"` // ISO 6346
	Action   string `json:"action"`
	SizeType string `json:"sizeType,omitempty"` // ISO 6346 size/type code, e.g. 45G1
	Vessel   string `json:"vessel,omitempty"`
	Voyage   string `json:"voyage,omitempty"`
}

// Seal actions.
const (
	SealAffixed  = "affixed"
	SealVerified = "verified"
	SealBroken   = "broken"
	SealRemoved  = "removed"
)

// SealEvent records a seal affixed, verified, broken or removed.
type SealEvent struct {
	Class           string `json:"class"`  // ISO 17712: I, S, H
	Number          string `json:"number"` // ISO 17712 seal number
	ContainerNumber string `json:"containerNumber,omitempty"`
	Action          string `json:"action"`
	VVTT            *VVTT  `json:"vvtt,omitempty"` // required for "verified", absent otherwise
}

// VVTT is the result of a View-Verify-Tug-Twist seal inspection.
type VVTT struct {
	View   bool   `json:"view"`
	Verify bool   `json:"verify"`
	Tug    bool   `json:"tug"`
	Twist  bool   `json:"twist"`
	Notes  string `json:"notes,omitempty"`
}

// Passed reports whether all four inspection steps passed.
func (v *VVTT) Passed() bool { return v.View && v.Verify && v.Tug && v.Twist }

// OriginCertificate is a certificate of origin issued by a chamber of
// commerce or other certificate issuer.
type OriginCertificate struct {
	CertificateNumber string `json:"certificateNumber"`
	Issuer            string `json:"issuer"`
	CountryOfOrigin   string `json:"countryOfOrigin"`
	HSCode            string `json:"hsCode"`
	DocumentSHA256    string `json:"documentSha256"`
	ValidFrom         string `json:"validFrom"`
	ValidUntil        string `json:"validUntil"`
}

// SensorBatch is a batch of timed readings from one device with the
// min/max/mean of every quantity present.
type SensorBatch struct {
	DeviceID string          `json:"deviceId"`
	Readings []SensorReading `json:"readings"`
	Summary  SensorSummary   `json:"summary"`
}

// SensorReading is one timed reading. Absent quantities are omitted.
type SensorReading struct {
	Time        string   `json:"time"`
	Temperature *float64 `json:"temperature,omitempty"` // degrees Celsius
	Humidity    *float64 `json:"humidity,omitempty"`    // percent relative humidity
	Light       *float64 `json:"light,omitempty"`       // lux
	Shock       *float64 `json:"shock,omitempty"`       // g
	DoorOpen    *bool    `json:"doorOpen,omitempty"`
	Lat         *float64 `json:"lat,omitempty"`
	Lon         *float64 `json:"lon,omitempty"`
}

// Stats is the min, max and mean of one quantity over a batch.
type Stats struct {
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// SensorSummary holds the statistics of every quantity present in a batch.
type SensorSummary struct {
	Temperature *Stats `json:"temperature,omitempty"`
	Humidity    *Stats `json:"humidity,omitempty"`
	Light       *Stats `json:"light,omitempty"`
	Shock       *Stats `json:"shock,omitempty"`
}

// POD conditions.
const (
	ConditionGood    = "good"
	ConditionDamaged = "damaged"
	ConditionPartial = "partial"
	ConditionRefused = "refused"
)

// ProofOfDelivery closes a shipment.
type ProofOfDelivery struct {
	Receiver   string   `json:"receiver"`
	Place      string   `json:"place"` // UN/LOCODE
	Time       string   `json:"time"`
	Condition  string   `json:"condition"`
	Exceptions []string `json:"exceptions,omitempty"`
}

// Incident causes.
const (
	CauseSealBroken      = "seal-broken"
	CauseSealRemoved     = "seal-removed"
	CauseSealCheckFailed = "seal-check-failed"
	CauseTempExcursion   = "temperature-excursion"
	CauseDamage          = "damage"
	CauseDelay           = "delay"
	CauseTheft           = "theft"
	CauseTamper          = "tamper"
	CauseOther           = "other"
)

// IncidentCauses lists every incident cause.
var IncidentCauses = []string{CauseSealBroken, CauseSealRemoved, CauseSealCheckFailed, CauseTempExcursion,
	CauseDamage, CauseDelay, CauseTheft, CauseTamper, CauseOther}

// Incident is an exception on a shipment. Generated is true when the contract
// created it in the transaction of the record named in RelatedRecord.
type Incident struct {
	Cause         string `json:"cause"`
	Description   string `json:"description"`
	RelatedRecord string `json:"relatedRecord,omitempty"`
	Generated     bool   `json:"generated,omitempty"`
}

// Correction refers to an earlier record and says what was wrong with it.
// The earlier record stays on the ledger; history shows both.
type Correction struct {
	Corrects  string   `json:"corrects"` // record ID
	Reason    string   `json:"reason"`
	Changes   []Change `json:"changes,omitempty"`
	Approvals []string `json:"approvals,omitempty"` // addresses of approving keys
}

// Change is one corrected field.
type Change struct {
	Field    string `json:"field"`
	OldValue string `json:"oldValue"`
	NewValue string `json:"newValue"`
}

// Declaration is a customs import declaration with the fields of the
// customs declaration data set (../shared/data/customs/*.csv). The contract
// sets SubmittedBy, SubmittedAt and UpdatedAt.
type Declaration struct {
	ID                 string    `json:"id"`
	Date               string    `json:"date"`
	OfficeID           string    `json:"officeId"`
	ProcessType        string    `json:"processType"`
	ImportType         string    `json:"importType"`
	ImportUse          string    `json:"importUse"`
	PaymentType        string    `json:"paymentType"`
	ModeOfTransport    string    `json:"modeOfTransport"`
	DeclarantID        string    `json:"declarantId"`
	ImporterID         string    `json:"importerId"`
	SellerID           string    `json:"sellerId,omitempty"` // empty in about 10% of the data set
	CourierID          string    `json:"courierId,omitempty"`
	HSCode             string    `json:"hsCode"`
	CountryOfDeparture string    `json:"countryOfDeparture"`
	CountryOfOrigin    string    `json:"countryOfOrigin"`
	TaxRate            float64   `json:"taxRate"`
	TaxType            string    `json:"taxType"`
	OriginIndicator    string    `json:"originIndicator"`
	NetMass            float64   `json:"netMass"`
	ItemPrice          float64   `json:"itemPrice"`
	ShipmentID         string    `json:"shipmentId,omitempty"`
	SubmittedBy        *Identity `json:"submittedBy,omitempty"`
	SubmittedAt        string    `json:"submittedAt,omitempty"`
	UpdatedAt          string    `json:"updatedAt,omitempty"`
}

// Amendment statuses.
const (
	AmendmentPending  = "pending"
	AmendmentApproved = "approved"
	AmendmentRejected = "rejected"
)

// Amendment proposes to change one field of a declaration. It takes effect
// when a second identity of the proposer's org approves it. The contract sets
// ID, ProposedBy, ProposedAt, Status and Approvals.
type Amendment struct {
	ID            string     `json:"id,omitempty"`
	DeclarationID string     `json:"declarationId"`
	Field         string     `json:"field"` // JSON name of the declaration field, e.g. "hsCode"
	OldValue      string     `json:"oldValue"`
	NewValue      string     `json:"newValue"`
	Reason        string     `json:"reason"`
	ProposedBy    *Identity  `json:"proposedBy,omitempty"`
	ProposedAt    string     `json:"proposedAt,omitempty"`
	Status        string     `json:"status,omitempty"`
	Approvals     []Approval `json:"approvals,omitempty"`
	Rejection     *Approval  `json:"rejection,omitempty"`
}

// Approval records who approved (or rejected) and when.
type Approval struct {
	By     Identity `json:"by"`
	At     string   `json:"at"`
	TxID   string   `json:"txId"`
	Reason string   `json:"reason,omitempty"`
}

// Document types.
var DocumentTypes = []string{"invoice", "packing-list", "bill-of-lading", "certificate-of-origin",
	"certificate", "customs-declaration", "insurance", "inspection-report", "other"}

// DocumentAnchor is the on-ledger trace of an off-chain document. The
// contract sets AnchoredBy and AnchoredAt.
type DocumentAnchor struct {
	SHA256        string    `json:"sha256"`
	DocType       string    `json:"docType"`
	Owner         string    `json:"owner"` // partner ID
	MediaType     string    `json:"mediaType"`
	Size          int64     `json:"size"`
	Name          string    `json:"name,omitempty"`
	ShipmentID    string    `json:"shipmentId,omitempty"`
	DeclarationID string    `json:"declarationId,omitempty"`
	AnchoredBy    *Identity `json:"anchoredBy,omitempty"`
	AnchoredAt    string    `json:"anchoredAt,omitempty"`
}

// Compliance record kinds.
const (
	KindAnomalyScore       = "anomaly-score"
	KindScreeningHit       = "screening-hit"
	KindScreeningClearance = "screening-clearance"
	KindAlert              = "alert"
	KindAlertAck           = "alert-ack"
	KindIncident           = "incident"
	KindAccessLogDigest    = "access-log-digest"
)

// ComplianceKinds lists every compliance record kind.
var ComplianceKinds = []string{KindAnomalyScore, KindScreeningHit, KindScreeningClearance, KindAlert,
	KindAlertAck, KindIncident, KindAccessLogDigest}

// Subject types of compliance records.
var SubjectTypes = []string{"declaration", "shipment", "partner", "record", "document", "archive", "compliance"}

// Severities of alerts.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// ComplianceRecord is a conclusion of the off-chain workers or of a
// compliance officer, written back to the ledger. Which fields are required
// depends on Kind (see Validate). The contract sets ID (hash of the canonical
// form without id, recordedBy, recordedAt), RecordedBy and RecordedAt.
type ComplianceRecord struct {
	ID          string           `json:"id,omitempty"`
	Kind        string           `json:"kind"`
	SubjectType string           `json:"subjectType"`
	SubjectID   string           `json:"subjectId"`
	CreatedAt   string           `json:"createdAt"`
	Score       *float64         `json:"score,omitempty"`     // anomaly-score: compliance score 0-100, 100 = nothing unusual; below Threshold = review
	Threshold   *float64         `json:"threshold,omitempty"` // anomaly-score: review threshold 0-100
	Reasons     []string         `json:"reasons,omitempty"`
	Model       string           `json:"model,omitempty"`
	Screening   *ScreeningMatch  `json:"screening,omitempty"`
	RefersTo    string           `json:"refersTo,omitempty"` // clearance/ack: ID of the hit/alert
	Officer     string           `json:"officer,omitempty"`  // clearance/ack: the person who acted
	Reason      string           `json:"reason,omitempty"`   // clearance: why
	Response    string           `json:"response,omitempty"` // alert-ack: what was done
	Rule        string           `json:"rule,omitempty"`     // alert
	Severity    string           `json:"severity,omitempty"` // alert, incident
	Message     string           `json:"message,omitempty"`  // alert, incident
	Digest      *AccessLogDigest `json:"digest,omitempty"`
	RecordedBy  *Identity        `json:"recordedBy,omitempty"`
	RecordedAt  string           `json:"recordedAt,omitempty"`
	TxID        string           `json:"txId,omitempty"`
}

// ScreeningMatch is a sanctioned-party screening hit.
type ScreeningMatch struct {
	PartyRole   string  `json:"partyRole"` // consignor, consignee, seller, partner, ...
	QueriedName string  `json:"queriedName"`
	MatchedName string  `json:"matchedName"`
	ListName    string  `json:"listName"` // e.g. OFAC-SDN
	EntryID     string  `json:"entryId"`
	ListVersion string  `json:"listVersion,omitempty"`
	Score       float64 `json:"score"` // similarity 0-1
}

// AccessLogDigest anchors a range of the document archive's hash-chained
// access log.
type AccessLogDigest struct {
	FromSeq    uint64 `json:"fromSeq"`
	ToSeq      uint64 `json:"toSeq"`
	Entries    int64  `json:"entries"`
	HeadSHA256 string `json:"headSha256"`
	PrevSHA256 string `json:"prevSha256,omitempty"`
}
