// Package worker implements `aeoledger worker run`: the block listener that
// keeps the read model (SQLite or PostgreSQL) and the compliance workers
// behind it (anomaly scores, sanctioned-party screening, sensor and seal
// alerts), which write their conclusions back to the ledger.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/alerts"
	"github.com/aeoledger/aeoledger/workers/anomaly"
	"github.com/aeoledger/aeoledger/workers/listener"
	"github.com/aeoledger/aeoledger/workers/pipeline"
	"github.com/aeoledger/aeoledger/workers/readmodel"
	"github.com/aeoledger/aeoledger/workers/screening"
)

// Environment variables that give the read-model and sanctions flags their
// defaults.
const (
	EnvDB        = "AEOLEDGER_DB"
	EnvPG        = "AEOLEDGER_PG"
	EnvSanctions = "AEOLEDGER_SANCTIONS"
)

// DefaultDBFile is the SQLite read model's file name beside the profile.
const DefaultDBFile = "readmodel.db"

// NewCmdWorker groups the worker commands.
func NewCmdWorker(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "worker <command>",
		RunE:    cmdutil.GroupRunE,
		Short:   "Run the read model and the compliance workers",
		Example: "  aeoledger worker run --msp CustomsMSP --sanctions ./sdn --model model.json.gz",
	}
	cmd.AddCommand(NewCmdRun(f, nil))
	return cmd
}

// ReadModel selects the read model: a SQLite file or a PostgreSQL DSN.
type ReadModel struct {
	DB string
	PG string
}

// AddReadModelFlags adds --db and --pg to a command.
func AddReadModelFlags(cmd *cobra.Command, rm *ReadModel) {
	cmd.Flags().StringVar(&rm.DB, "db", "", "SQLite read model file (default $"+EnvDB+" or "+DefaultDBFile+" beside the profile)")
	cmd.Flags().StringVar(&rm.PG, "pg", "", "PostgreSQL DSN of the read model, e.g. postgres://user@127.0.0.1/aeo (default $"+EnvPG+")")
}

// DSN resolves the read model flags: --pg, --db, then the environment,
// then the SQLite file beside the connection profile. --db and --pg
// together are a usage error.
func (rm ReadModel) DSN(f *cmdutil.Factory) (string, error) {
	if rm.DB != "" && rm.PG != "" {
		return "", cmdutil.FlagErrorf("field=--pg value=%q rule=give --db or --pg, not both", rm.PG)
	}
	switch {
	case rm.PG != "":
		if !strings.HasPrefix(rm.PG, "postgres://") && !strings.HasPrefix(rm.PG, "postgresql://") && !strings.Contains(rm.PG, "host=") {
			return "", cmdutil.FlagErrorf("field=--pg value=%q rule=must be a postgres:// URL or a key=value DSN with host=", rm.PG)
		}
		return rm.PG, nil
	case rm.DB != "":
		return "sqlite:" + rm.DB, nil
	case f.Env(EnvPG) != "":
		return f.Env(EnvPG), nil
	case f.Env(EnvDB) != "":
		return "sqlite:" + f.Env(EnvDB), nil
	}
	return "sqlite:" + filepath.Join(filepath.Dir(f.ProfilePath()), DefaultDBFile), nil
}

// SanctionsDir resolves --sanctions, then AEOLEDGER_SANCTIONS.
func SanctionsDir(f *cmdutil.Factory, flag string) string {
	if flag != "" {
		return flag
	}
	return f.Env(EnvSanctions)
}

// RunOptions are the inputs of `worker run`.
type RunOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	DSN               string // resolved from --db / --pg
	Model             string
	Sanctions         string
	ListVersion       string
	Webhook           string
	WebhookSecretFile string
	Threshold         float64
	ShockG            float64
	LightLux          float64
	Once              bool
	LogLevel          string
	JSON              bool
}

// NewCmdRun builds `worker run`.
func NewCmdRun(f *cmdutil.Factory, runF func(context.Context, *RunOptions) error) *cobra.Command {
	opts := &RunOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	var rm ReadModel
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Follow the ledger into the read model and run the compliance workers",
		Long: `Follow the committed blocks (Deliver, through the Fabric Gateway) into the read
model, SQLite by default or PostgreSQL with --pg, and run the compliance workers on
every new block:

  - each declaration gets an anomaly score (0-100, 100 = nothing looks wrong) with
    its reasons: from --model, or from unsupervised baselines fitted on the
    declarations already in the read model; below --threshold it gets an alert;
  - partners at registration, shipment consignors and consignees, and declaration
    importers and sellers that are registered partners are screened against the
    OFAC SDN list in --sanctions; a hit blocks the shipment until a compliance
    officer runs ` + "`aeoledger screen clear`" + `;
  - sensor batches are checked against the shipment's temperature range (30 min
    continuous or 60 min in total outside it, and the mean kinetic temperature),
    shock and light limits; broken seals raise alerts.

Conclusions are written to the ledger as compliance records by the acting
identity, whose organisation must own an active partner. Alerts are posted to
--webhook, signed with HMAC-SHA256 under the secret in --webhook-secret-file.
The read model and the workers keep checkpoints: a restart neither skips a block
nor records a conclusion twice. Stop with Ctrl-C.`,
		Example: `  aeoledger worker run --msp CustomsMSP --sanctions ./sdn
  aeoledger worker run --msp CustomsMSP --sanctions ./sdn --model model.json.gz \
      --pg postgres://aeo@127.0.0.1/aeo --webhook https://hooks.example/aeo --webhook-secret-file hook.secret
  aeoledger worker run --msp CustomsMSP --once --json   # one pass, then exit`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dsn, err := rm.DSN(f)
			if err != nil {
				return err
			}
			opts.DSN = dsn
			opts.Sanctions = SanctionsDir(f, opts.Sanctions)
			if (opts.Webhook == "") != (opts.WebhookSecretFile == "") {
				return cmdutil.FlagErrorf("field=--webhook-secret-file value=%q rule=--webhook and --webhook-secret-file go together", opts.WebhookSecretFile)
			}
			if opts.Threshold < 0 || opts.Threshold > 100 {
				return cmdutil.FlagErrorf("field=--threshold value=\"%g\" rule=must be a compliance score from 0 to 100", opts.Threshold)
			}
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(opts.LogLevel)); err != nil {
				return cmdutil.FlagErrorf("field=--log-level value=%q rule=must be debug, info, warn or error", opts.LogLevel)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	AddReadModelFlags(cmd, &rm)
	fl.StringVar(&opts.Model, "model", "", "Anomaly model file from `aeoledger anomaly train` (default: baselines fitted on the read model's declarations)")
	fl.StringVar(&opts.Sanctions, "sanctions", "", "Folder with ofac-sdn.csv, ofac-add.csv and ofac-alt.csv (default $"+EnvSanctions+"; none: no screening)")
	fl.StringVar(&opts.ListVersion, "list-version", "", "Version of the sanctions list written in hit records, e.g. its publication date")
	fl.StringVar(&opts.Webhook, "webhook", "", "URL that receives every alert as a signed HTTP POST")
	fl.StringVar(&opts.WebhookSecretFile, "webhook-secret-file", "", "File whose first line is the webhook's HMAC secret (at least 16 bytes)")
	fl.Float64Var(&opts.Threshold, "threshold", anomaly.DefaultReviewThreshold, "Review threshold: a compliance score below it raises an alert")
	fl.Float64Var(&opts.ShockG, "shock-limit", pipeline.DefaultShockLimitG, "Shock limit in g for every shipment (negative: no shock rule)")
	fl.Float64Var(&opts.LightLux, "light-limit", 0, "Light limit in lux inside containers (0: no light rule)")
	fl.BoolVar(&opts.Once, "once", false, "Catch up to the newest block, print what was done and exit")
	fl.StringVar(&opts.LogLevel, "log-level", "info", "Log level: debug, info, warn, error")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// Report is what `worker run --json` prints when it stops.
type Report struct {
	ReadModel string         `json:"readModel"` // backend
	Block     uint64         `json:"block"`     // last block applied
	Stats     pipeline.Stats `json:"stats"`
}

func runRun(ctx context.Context, opts *RunOptions) error {
	// app.Main already cancels on a signal; this also covers callers that
	// run the command with a plain context.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(opts.LogLevel))
	logger := slog.New(slog.NewTextHandler(opts.IO.ErrOut, &slog.HandlerOptions{Level: lvl}))
	cfg := pipeline.Config{ReviewThreshold: opts.Threshold, ShockLimitG: opts.ShockG, LightLimitLux: opts.LightLux,
		ListVersion: opts.ListVersion, Logger: logger}
	if opts.Model != "" {
		m, err := anomaly.Load(opts.Model)
		if err != nil {
			return err
		}
		cfg.Model = m
	}
	if opts.Sanctions != "" {
		list, err := screening.Load(opts.Sanctions)
		if err != nil {
			return fmt.Errorf("loading sanctions list: %w", err)
		}
		cfg.Sanctions = list
	}
	if opts.Webhook != "" {
		secret, err := readSecret(opts.WebhookSecretFile)
		if err != nil {
			return err
		}
		n, err := alerts.NewNotifier(opts.Webhook, secret, alerts.WithLogger(logger))
		if err != nil {
			return err
		}
		cfg.Notifier = n
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	store, err := readmodel.Open(ctx, opts.DSN)
	if err != nil {
		return err
	}
	defer store.Close()
	p, err := pipeline.New(ctx, store, c, cfg)
	if err != nil {
		return err
	}
	w := &pipeline.Worker{Pipeline: p, Source: listener.GatewaySource{Network: c.Network()},
		ListenerOptions: []listener.Option{listener.WithLogger(logger)}}
	if opts.Once {
		err = w.Drain(ctx, c.BlockRange)
	} else {
		logger.Info("worker following the ledger", "read_model", store.Backend(), "identity", c.MSPID()+"/"+c.IdentityName(),
			"model", opts.Model != "", "screening", cfg.Sanctions != nil, "webhook", cfg.Notifier != nil)
		err = w.Run(ctx)
	}
	if err != nil {
		return err
	}
	// The run ends when ctx is cancelled; the report still reads the checkpoint.
	cp, err := store.Checkpoint(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	rep := Report{ReadModel: store.Backend(), Block: cp.Block, Stats: p.Stats()}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, rep)
	}
	s := rep.Stats
	fmt.Fprintf(opts.IO.Out, "read model (%s) at block %d; %d blocks handled: %d declarations scored, %d names screened, %d hits, %d alerts; %d records written, %d already on the ledger, %d refused\n",
		rep.ReadModel, rep.Block, s.Blocks, s.Scored, s.Screened, s.Hits, s.Alerts, s.Recorded, s.Duplicates, s.Refused)
	return nil
}

// readSecret reads the first line of the webhook secret file. The secret
// is never printed.
func readSecret(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading webhook secret: %w", err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	line = strings.TrimSpace(line)
	if len(line) < alerts.MinSecretLen {
		return nil, fmt.Errorf("reading webhook secret: %w", &schemas.FieldError{Field: "--webhook-secret-file", Value: path,
			Rule: fmt.Sprintf("the secret on its first line must be at least %d bytes", alerts.MinSecretLen)})
	}
	return []byte(line), nil
}
