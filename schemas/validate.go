package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed json/*.schema.json
var schemaFS embed.FS

// SchemaFS exposes the embedded JSON Schema files (json/<kind>.schema.json).
func SchemaFS() fs.FS { return schemaFS }

const schemaBase = "https://aeoledger.dev/schemas/"

// Record kinds accepted by Validate, each with its schema json/<kind>.schema.json.
const (
	KindPartner     = "partner"
	KindSigningKey  = "signing-key"
	KindShipment    = "shipment"
	KindTouchpoint  = "touchpoint"
	KindDeclaration = "declaration"
	KindAmendment   = "amendment"
	KindDocument    = "document"
	KindCompliance  = "compliance"
)

// Kinds lists the record kinds accepted by Validate.
var Kinds = []string{KindPartner, KindSigningKey, KindShipment, KindTouchpoint, KindDeclaration,
	KindAmendment, KindDocument, KindCompliance}

// MaxRecordBytes bounds the size of one submitted JSON record.
const MaxRecordBytes = 2 << 20

var (
	compileOnce sync.Once
	compiled    map[string]*jsonschema.Schema
	compileErr  error
	printer     = message.NewPrinter(language.English)
)

func compileSchemas() {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	entries, err := fs.ReadDir(schemaFS, "json")
	if err != nil {
		compileErr = fmt.Errorf("reading embedded schemas: %w", err)
		return
	}
	for _, e := range entries {
		raw, err := schemaFS.ReadFile(path.Join("json", e.Name()))
		if err != nil {
			compileErr = fmt.Errorf("reading schema %s: %w", e.Name(), err)
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			compileErr = fmt.Errorf("parsing schema %s: %w", e.Name(), err)
			return
		}
		if err := c.AddResource(schemaBase+e.Name(), doc); err != nil {
			compileErr = fmt.Errorf("adding schema %s: %w", e.Name(), err)
			return
		}
	}
	compiled = map[string]*jsonschema.Schema{}
	for _, k := range Kinds {
		s, err := c.Compile(schemaBase + k + ".schema.json")
		if err != nil {
			compileErr = fmt.Errorf("compiling schema %s: %w", k, err)
			return
		}
		compiled[k] = s
	}
}

// Validate checks raw JSON of the given kind: size, JSON Schema, strict
// decoding into the Go type (unknown fields refused) and the semantic rules of
// the type (check digits, country list, ...). The first problem found is
// returned as a *FieldError wrapping ErrInvalid.
func Validate(kind string, raw []byte) error {
	_, err := Parse(kind, raw)
	return err
}

// Parse validates raw JSON of the given kind like Validate and returns the
// decoded Go value (*Partner, *SigningKey, *Shipment, *Touchpoint,
// *Declaration, *Amendment, *DocumentAnchor or *ComplianceRecord).
func Parse(kind string, raw []byte) (any, error) {
	var v interface{ Validate() error }
	switch kind {
	case KindPartner:
		v = new(Partner)
	case KindSigningKey:
		v = &signingKeyValidator{}
	case KindShipment:
		v = new(Shipment)
	case KindTouchpoint:
		v = new(Touchpoint)
	case KindDeclaration:
		v = new(Declaration)
	case KindAmendment:
		v = new(Amendment)
	case KindDocument:
		v = new(DocumentAnchor)
	case KindCompliance:
		v = new(ComplianceRecord)
	default:
		return nil, fieldErr("kind", kind, "must be one of %s", strings.Join(Kinds, ", "))
	}
	if err := validateJSON(kind, raw, v); err != nil {
		return nil, err
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	if k, ok := v.(*signingKeyValidator); ok {
		return &k.SigningKey, nil
	}
	return v, nil
}

type signingKeyValidator struct{ SigningKey }

func (k *signingKeyValidator) Validate() error { return k.SigningKey.Validate("") }

func (k *signingKeyValidator) UnmarshalJSON(b []byte) error {
	type plain SigningKey
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode((*plain)(&k.SigningKey))
}

// ParseTouchpoint is Parse for a touchpoint.
func ParseTouchpoint(raw []byte) (*Touchpoint, error) {
	v, err := Parse(KindTouchpoint, raw)
	if err != nil {
		return nil, err
	}
	return v.(*Touchpoint), nil
}

func validateJSON(kind string, raw []byte, into any) error {
	if len(raw) > MaxRecordBytes {
		return fieldErr("", strconv.Itoa(len(raw))+" bytes", "a %s record must be at most %d bytes", kind, MaxRecordBytes)
	}
	compileOnce.Do(compileSchemas)
	if compileErr != nil {
		return compileErr
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fieldErr("", string(raw), "must be one valid JSON document")
	}
	if err := compiled[kind].Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return schemaFieldError(ve, inst)
		}
		return fmt.Errorf("validating %s against its schema: %w", kind, err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(into); err != nil {
		return fieldErr("", truncate(string(raw)), "must decode as a %s: %v", kind, err)
	}
	return nil
}

// schemaFieldError turns the first leaf of a JSON Schema validation error
// into a FieldError naming the field, its value and the schema rule.
func schemaFieldError(ve *jsonschema.ValidationError, inst any) *FieldError {
	// The validator walks object properties in map order, so pick the leaf
	// deterministically: the first by instance path, then by schema keyword.
	var leaves []*jsonschema.ValidationError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e)
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.SliceStable(leaves, func(i, j int) bool {
		a, b := strings.Join(leaves[i].InstanceLocation, "\x00"), strings.Join(leaves[j].InstanceLocation, "\x00")
		if a != b {
			return a < b
		}
		return strings.Join(leaves[i].ErrorKind.KeywordPath(), "/") < strings.Join(leaves[j].ErrorKind.KeywordPath(), "/")
	})
	leaf := leaves[0]
	loc := leaf.InstanceLocation
	rule := leaf.ErrorKind.LocalizedString(printer)
	switch k := leaf.ErrorKind.(type) {
	case *kind.Required:
		return fieldErr(pathOf(append(loc[:len(loc):len(loc)], k.Missing[0])), "", "is required")
	case *kind.AdditionalProperties:
		return fieldErr(pathOf(append(loc[:len(loc):len(loc)], k.Properties[0])), "", "is not a known field")
	case *kind.MinLength:
		if k.Want == 1 {
			rule = "must not be empty"
			break
		}
		rule = fmt.Sprintf("must have at least %d characters, got %d", k.Want, k.Got)
	case *kind.MaxLength:
		rule = fmt.Sprintf("must have at most %d characters, got %d", k.Want, k.Got)
	case *kind.MinItems:
		if k.Want == 1 {
			rule = "must not be empty"
			break
		}
		rule = fmt.Sprintf("must have at least %d items, got %d", k.Want, k.Got)
	case *kind.MaxItems:
		rule = fmt.Sprintf("must have at most %d items, got %d", k.Want, k.Got)
	case *kind.MinProperties:
		rule = fmt.Sprintf("must have at least %d fields, got %d", k.Want, k.Got)
	case *kind.Minimum:
		rule = "must be at least " + ratString(k.Want)
	case *kind.Maximum:
		rule = "must be at most " + ratString(k.Want)
	}
	return fieldErr(pathOf(loc), valueAt(inst, loc), "%s", rule)
}

// ratString prints a schema bound without locale digit grouping.
func ratString(r *big.Rat) string {
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// pathOf renders a JSON pointer's tokens as a dotted path with [i] indexes.
func pathOf(tokens []string) string {
	var sb strings.Builder
	for _, t := range tokens {
		if _, err := strconv.Atoi(t); err == nil {
			sb.WriteString("[" + t + "]")
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(t)
	}
	return sb.String()
}

func valueAt(inst any, tokens []string) string {
	cur := inst
	for _, t := range tokens {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[t]
		case []any:
			i, _ := strconv.Atoi(t)
			if i < 0 || i >= len(c) {
				return ""
			}
			cur = c[i]
		default:
			return ""
		}
	}
	switch c := cur.(type) {
	case string:
		return c
	case json.Number:
		return c.String()
	default:
		b, _ := json.Marshal(c)
		return truncate(string(b))
	}
}

func truncate(s string) string {
	if len(s) > maxValueInMessage {
		return s[:maxValueInMessage]
	}
	return s
}
