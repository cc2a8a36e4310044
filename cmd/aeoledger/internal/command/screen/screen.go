// Package screen implements `aeoledger screen`: sanctioned-party screening
// of a name against the OFAC SDN list, and `screen clear`, with which a
// compliance officer clears a screening hit on the ledger.
package screen

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/worker"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/pipeline"
	"github.com/aeoledger/aeoledger/workers/screening"
)

// Options are the inputs of `screen NAME`.
type Options struct {
	IO        *iostreams.IOStreams
	Name      string
	Country   string
	Sanctions string
	Threshold float64
	JSON      bool
}

// NewCmdScreen builds `screen NAME` with its `clear` subcommand.
func NewCmdScreen(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "screen <name>",
		Short: "Screen a party name against the OFAC SDN list; clear screening hits",
		Long: `Screen a name against the OFAC SDN list (ofac-sdn.csv, ofac-add.csv and ofac-alt.csv
in --sanctions): token-wise Jaro-Winkler on normalised names and aliases, raised or
lowered by the country when it is known. Every hit at or above the threshold is
printed with its score and the reasons it matched.

The worker (` + "`aeoledger worker run`" + `) screens partners, shipments and declarations
itself and records hits on the ledger; ` + "`aeoledger screen clear`" + ` clears them.`,
		Example: `  aeoledger screen "Banco Nacional de Cuba" --country CU --sanctions ./sdn
  aeoledger screen "Acme Flowers BV" --json
  aeoledger screen clear --subject SHP-2026-0001 --reason "different entity: registration checked"`,
		Args: cmdutil.ExactArgs(1, "one name to screen (quote names with spaces)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			opts.Sanctions = worker.SanctionsDir(f, opts.Sanctions)
			if opts.Sanctions == "" {
				return cmdutil.FlagErrorf("field=--sanctions value=\"\" rule=the folder of the OFAC SDN list is required (or set %s)", worker.EnvSanctions)
			}
			if opts.Threshold != 0 && !(opts.Threshold > 0 && opts.Threshold <= 1) {
				return cmdutil.FlagErrorf("field=--threshold value=\"%g\" rule=must be greater than 0 and at most 1", opts.Threshold)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return screenRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Country, "country", "", "ISO 3166-1 alpha-2 country of the party, when known")
	cmd.Flags().StringVar(&opts.Sanctions, "sanctions", "", "Folder with the OFAC SDN CSV files (default $"+worker.EnvSanctions+")")
	cmd.Flags().Float64Var(&opts.Threshold, "threshold", 0, fmt.Sprintf("Score from 0 to 1 at or above which a name is a hit (default %g)", screening.DefaultThreshold))
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	cmd.AddCommand(NewCmdClear(f, nil))
	return cmd
}

// Result is what `screen --json` prints.
type Result struct {
	Name      string  `json:"name"`
	Country   string  `json:"country,omitempty"`
	Threshold float64 `json:"threshold"`
	Hits      []Hit   `json:"hits"`
}

// Hit is one listed party in `screen --json`, named like the ledger's
// records (screening.Hit has no JSON names of its own).
type Hit struct {
	EntryID     int      `json:"entryId"`
	MatchedName string   `json:"matchedName"`
	PrimaryName string   `json:"primaryName"`
	IsAlias     bool     `json:"isAlias"`
	AliasType   string   `json:"aliasType,omitempty"`
	Score       float64  `json:"score"`
	Type        string   `json:"type"`
	Programs    []string `json:"programs"`
	Countries   []string `json:"countries"`
	Reasons     []string `json:"reasons"`
}

func screenRun(opts *Options) error {
	var lopts []screening.Option
	if opts.Threshold != 0 {
		lopts = append(lopts, screening.WithThreshold(opts.Threshold))
	}
	list, err := screening.Load(opts.Sanctions, lopts...)
	if err != nil {
		return fmt.Errorf("loading sanctions list: %w", err)
	}
	hits, err := list.Screen(screening.Query{Name: opts.Name, Country: strings.ToUpper(opts.Country)})
	if err != nil {
		// Same shape as every other bad input: field, value, rule.
		if qe, ok := err.(*screening.QueryError); ok {
			return fmt.Errorf("screening: %w", &schemas.FieldError{Field: qe.Field, Value: qe.Value, Rule: qe.Rule})
		}
		return err
	}
	if opts.JSON {
		res := Result{Name: opts.Name, Country: opts.Country, Threshold: list.Threshold(), Hits: []Hit{}}
		for _, h := range hits {
			res.Hits = append(res.Hits, Hit{EntryID: h.EntityID, MatchedName: h.MatchedName, PrimaryName: h.PrimaryName, IsAlias: h.IsAlias,
				AliasType: h.AliasType, Score: h.Score, Type: h.Type, Programs: h.Programs, Countries: h.Countries, Reasons: h.Reasons})
		}
		return cmdutil.WriteJSON(opts.IO.Out, res)
	}
	if len(hits) == 0 {
		fmt.Fprintf(opts.IO.Out, "no hit: %q resembles no listed party at threshold %.2f\n", opts.Name, list.Threshold())
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCORE\tSDN ENTRY\tMATCHED NAME\tPRIMARY NAME\tPROGRAMMES\tCOUNTRIES")
	for _, h := range hits {
		fmt.Fprintf(tw, "%.3f\t%d\t%s\t%s\t%s\t%s\n", h.Score, h.EntityID, h.MatchedName, h.PrimaryName,
			strings.Join(h.Programs, ","), strings.Join(h.Countries, ","))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, h := range hits {
		fmt.Fprintf(opts.IO.Out, "\n%d %s:\n  - %s\n", h.EntityID, h.MatchedName, strings.Join(h.Reasons, "\n  - "))
	}
	return nil
}

// ClearOptions are the inputs of `screen clear`.
type ClearOptions struct {
	IO      *iostreams.IOStreams
	Client  func() (*client.Client, error)
	Now     func() time.Time
	Subject string
	Reason  string
	Officer string
	JSON    bool
}

// NewCmdClear builds `screen clear`.
func NewCmdClear(f *cmdutil.Factory, runF func(context.Context, *ClearOptions) error) *cobra.Command {
	opts := &ClearOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "clear",
		Short: "Clear screening hits: record who cleared them and why",
		Long: `Record a screening-clearance on the ledger for a screening hit, given the hit's
compliance ID, or for every open hit on a subject (a shipment, partner or
declaration ID). A cleared hit no longer blocks its shipment. The clearance names
the officer (--officer, default the acting identity) and the reason; the ledger
also records the Fabric identity that submitted it.`,
		Example: `  aeoledger screen clear --subject SHP-2026-0001 --reason "different entity: registration checked" --officer "J. Jansen"
  aeoledger screen clear --subject 3f1c...e9 --reason "name match only; date of birth differs"`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Subject == "" {
				return cmdutil.FlagErrorf("field=--subject value=\"\" rule=a hit's compliance ID or a subject ID is required")
			}
			if strings.TrimSpace(opts.Reason) == "" {
				return cmdutil.FlagErrorf("field=--reason value=%q rule=a clearance needs the reason, in words", opts.Reason)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return clearRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Subject, "subject", "", "Compliance ID of the hit, or ID of the shipment, partner or declaration whose open hits to clear")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "Why the hit is cleared")
	cmd.Flags().StringVar(&opts.Officer, "officer", "", "The compliance officer who cleared it (default: the acting identity)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func clearRun(ctx context.Context, opts *ClearOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	hits, err := targets(ctx, c, opts.Subject, schemas.KindScreeningHit, pipeline.OpenHits)
	if err != nil {
		return err
	}
	officer := cmdutil.Officer(c, opts.Officer)
	var done []schemas.ComplianceRecord
	for _, h := range hits {
		rec, err := pipeline.ClearanceRecord(h, officer, opts.Reason, opts.Now())
		if err != nil {
			return err
		}
		got, err := c.RecordCompliance(ctx, rec)
		if err != nil {
			return fmt.Errorf("clearing hit %s: %w", h.ID, err)
		}
		done = append(done, *got)
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, done)
	}
	for i, d := range done {
		fmt.Fprintf(opts.IO.Out, "cleared hit %s on %s %s (%s %q) by %s: %s\n", d.RefersTo, d.SubjectType, d.SubjectID,
			hits[i].Screening.PartyRole, hits[i].Screening.QueriedName, d.Officer, d.ID)
	}
	return nil
}

// targets finds the records a command acts on: the record with the given
// compliance ID when it is of kind, else the open records of that kind on
// the subject with that ID.
//
// Errors: a *client.ContractError with ErrNotFound when there is none.
func targets(ctx context.Context, c *client.Client, id, kind string, open func([]schemas.ComplianceRecord) []schemas.ComplianceRecord) ([]schemas.ComplianceRecord, error) {
	if schemas.ValidateSHA256("subject", id) == nil {
		r, err := c.Compliance(ctx, id)
		if err == nil && r.Kind == kind {
			return []schemas.ComplianceRecord{*r}, nil
		}
	}
	all, err := c.AllComplianceBySubject(ctx, id)
	if err != nil {
		return nil, err
	}
	found := open(all)
	if len(found) == 0 {
		return nil, &client.ContractError{Code: client.CodeNotFound, Field: "--subject", Value: id,
			Message: fmt.Sprintf("field=--subject value=%q rule=must be a %s ID or a subject with an open %s", id, kind, kind), Local: true}
	}
	return found, nil
}
