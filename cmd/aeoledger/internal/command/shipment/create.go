package shipment

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
)

// CreateOptions are the inputs of `shipment create`.
type CreateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	File      string
	Shipment  schemas.Shipment
	Consignor string
	Consignee string
	TempMin   float64
	TempMax   float64
	HasTemp   bool
	JSON      bool
}

// NewCmdCreate builds `shipment create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(context.Context, *CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Book a shipment",
		Long: `Book a shipment. --consignor and --consignee name registered partners; their legal
names and countries are read from the partner registry. The acting organisation
must own the consignor, the consignee or one of the --party partners.`,
		Example: `  aeoledger shipment create --msp ExporterMSP --id SHP-2026-0001 \
      --consignor acme-export --consignee fresh-foods --party nordic-lines \
      --origin NLRTM --destination DEHAM --hs-code 080810 --temp-min 2 --temp-max 8 \
      --planned-departure 2026-12-01T08:00:00Z --planned-arrival 2026-12-03T18:00:00Z
  aeoledger shipment create --msp ExporterMSP --file shipment.json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.HasTemp = cmd.Flags().Changed("temp-min") || cmd.Flags().Changed("temp-max")
			if opts.HasTemp && !(cmd.Flags().Changed("temp-min") && cmd.Flags().Changed("temp-max")) {
				return cmdutil.FlagErrorf("--temp-min and --temp-max go together")
			}
			if opts.File == "" && (opts.Shipment.ID == "" || opts.Consignor == "" || opts.Consignee == "") {
				return cmdutil.FlagErrorf("shipment create needs --file, or --id, --consignor and --consignee")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.File, "file", "", "Shipment as JSON (schemas.Shipment)")
	fl.StringVar(&opts.Shipment.ID, "id", "", "Shipment ID")
	fl.StringVar(&opts.Consignor, "consignor", "", "Consignor partner ID")
	fl.StringVar(&opts.Consignee, "consignee", "", "Consignee partner ID")
	fl.StringArrayVar(&opts.Shipment.Parties, "party", nil, "Other partner involved: forwarder, carrier, device... (repeatable)")
	fl.StringVar(&opts.Shipment.Origin, "origin", "", "UN/LOCODE of origin, e.g. NLRTM")
	fl.StringVar(&opts.Shipment.Destination, "destination", "", "UN/LOCODE of destination, e.g. DEHAM")
	fl.StringArrayVar(&opts.Shipment.HSCodes, "hs-code", nil, "HS code of the goods (repeatable)")
	fl.StringArrayVar(&opts.Shipment.Route, "route", nil, "Planned stop as UN/LOCODE (repeatable, in order)")
	fl.Float64Var(&opts.TempMin, "temp-min", 0, "Lowest permitted cargo temperature, °C")
	fl.Float64Var(&opts.TempMax, "temp-max", 0, "Highest permitted cargo temperature, °C")
	fl.StringVar(&opts.Shipment.PlannedDeparture, "planned-departure", "", "Planned departure, RFC 3339")
	fl.StringVar(&opts.Shipment.PlannedArrival, "planned-arrival", "", "Planned arrival, RFC 3339")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	s := opts.Shipment
	if opts.File != "" {
		raw, err := os.ReadFile(opts.File)
		if err != nil {
			return fmt.Errorf("reading shipment file: %w", err)
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("parsing shipment file %s: %w", opts.File, err)
		}
	}
	for _, side := range []struct {
		id    string
		party *schemas.Party
	}{{opts.Consignor, &s.Consignor}, {opts.Consignee, &s.Consignee}} {
		if side.id == "" {
			continue
		}
		p, err := c.Partner(ctx, side.id)
		if err != nil {
			return fmt.Errorf("looking up partner %q: %w", side.id, err)
		}
		*side.party = schemas.Party{PartnerID: p.ID, Name: p.LegalName, Country: p.Country}
	}
	if opts.HasTemp {
		s.TemperatureRange = &schemas.TemperatureRange{Min: opts.TempMin, Max: opts.TempMax}
	}
	got, err := c.CreateShipment(ctx, s)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, got)
	}
	fmt.Fprint(opts.IO.Out, "booked ")
	printShipment(opts.IO.Out, &schemas.ShipmentView{Shipment: *got, State: schemas.ShipmentState{Status: schemas.ShipmentBooked}})
	return nil
}
