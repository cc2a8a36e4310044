// Package shipment implements `aeoledger shipment`: booking and reading
// shipments.
package shipment

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/schemas"
)

// NewCmdShipment groups the shipment commands.
func NewCmdShipment(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "shipment <command>",
		RunE:  cmdutil.GroupRunE,
		Short: "Book and read shipments",
		Example: `  aeoledger shipment create --id SHP-2026-0001 --consignor acme-export --consignee fresh-foods \
      --origin NLRTM --destination DEHAM --hs-code 080810 --temp-min 2 --temp-max 8 \
      --planned-departure 2026-12-01T08:00:00Z --planned-arrival 2026-12-03T18:00:00Z
  aeoledger shipment show SHP-2026-0001`,
	}
	cmd.AddCommand(NewCmdCreate(f, nil), NewCmdShow(f, nil), NewCmdList(f, nil))
	return cmd
}

func printShipment(w io.Writer, v *schemas.ShipmentView) {
	s := v.Shipment
	fmt.Fprintf(w, "shipment %s  %s -> %s  status %s\n", s.ID, s.Origin, s.Destination, v.State.Status)
	party := func(p schemas.Party) string {
		out := p.Name + " (" + p.Country + ")"
		if p.PartnerID != "" {
			out += " [" + p.PartnerID + "]"
		}
		return out
	}
	fmt.Fprintf(w, "  consignor  %s\n  consignee  %s\n", party(s.Consignor), party(s.Consignee))
	if len(s.Parties) > 0 {
		fmt.Fprintf(w, "  parties    %s\n", strings.Join(s.Parties, ", "))
	}
	fmt.Fprintf(w, "  goods      HS %s\n", strings.Join(s.HSCodes, ", "))
	if s.TemperatureRange != nil {
		fmt.Fprintf(w, "  keep at    %g to %g °C\n", s.TemperatureRange.Min, s.TemperatureRange.Max)
	}
	fmt.Fprintf(w, "  planned    %s -> %s\n", s.PlannedDeparture, s.PlannedArrival)
	if len(v.State.Seals) > 0 {
		nums := make([]string, 0, len(v.State.Seals))
		for n := range v.State.Seals {
			nums = append(nums, n)
		}
		sort.Strings(nums)
		for _, n := range nums {
			fmt.Fprintf(w, "  seal       %s %s\n", n, v.State.Seals[n])
		}
	}
	if len(v.State.OpenHits) > 0 {
		fmt.Fprintf(w, "  ON HOLD    open screening hits: %s\n", strings.Join(v.State.OpenHits, ", "))
	}
	if s.CreatedBy != nil {
		fmt.Fprintf(w, "  booked by  %s at %s\n", s.CreatedBy.MSPID, s.CreatedAt)
	}
}
