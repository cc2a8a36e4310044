// Package event implements `aeoledger event record`: signed touchpoints from
// flags or, in bulk, from JSON or CSV files.
package event

import (
	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/schemas"
)

// NewCmdEvent groups the event commands.
func NewCmdEvent(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "event <command>",
		RunE:  cmdutil.GroupRunE,
		Short: "Record signed touchpoints",
		Example: `  aeoledger event record container --shipment SHP-2026-0001 --number MSCU1234566 \
      --action gate-in --location NLRTM --key exporter --msp ExporterMSP`,
	}
	record := &cobra.Command{
		Use:   "record <type>",
		RunE:  cmdutil.GroupRunE,
		Short: "Sign and record a container, seal, origin, sensor or proof-of-delivery touchpoint",
		Long: `Record touchpoints. Each record is built from the flags (one record) or from a
--file (bulk: JSON array, JSON lines or CSV with a header row), put in RFC 8785
canonical form, signed with the responsible party's key (--key, from the
keystore) and submitted. A bulk import shows a progress bar on a terminal and
reports every refused row with its line, field, value and rule, without
stopping at the first.

CSV columns are the JSON field names of the record: shipmentId, eventTime,
location and the body's fields (e.g. number, action for a container). Flags
give the value of any column a file leaves out.`,
		Example: `  aeoledger event record seal --shipment SHP-2026-0001 --class H --number H-0042-7788 \
      --container MSCU1234566 --action affixed --location NLRTM --key carrier --msp CarrierMSP
  aeoledger event record sensor --shipment SHP-2026-0001 --device reefer-sensor-7 \
      --location NLRTM --file readings.csv --key reefer-sensor --msp CarrierMSP`,
	}
	for _, typ := range []string{schemas.TypeContainer, schemas.TypeSeal, schemas.TypeOrigin, schemas.TypeSensor, schemas.TypePOD} {
		record.AddCommand(NewCmdRecord(f, typ, nil))
	}
	cmd.AddCommand(record)
	return cmd
}
