package anomaly

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCSV writes declarations in the customs format.
func writeCSV(t *testing.T, path string, rows []Declaration) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(header)
	for _, d := range rows {
		fraud := "0"
		if d.Fraud {
			fraud = "1"
		}
		b.WriteString(strings.Join([]string{d.ID, d.Date.Format("2006-01-02"), d.Office, d.ProcessType, d.ImportType, d.ImportUse,
			d.PaymentType, d.Transport, d.Declarant, d.Importer, d.Seller, d.Courier, d.HS6, d.Departure, d.Origin,
			num(d.TaxRate), d.TaxType, d.OriginIndicator, num(d.NetMass), num(d.ItemPrice), fraud, fraud}, ",") + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTrainScoreExplainCommandsWorkTogether(t *testing.T) {
	t.Parallel()
	train, test := sampleData(t)
	tmp := t.TempDir()
	trainPath := writeCSV(t, filepath.Join(tmp, "train.csv"), train[:2000])
	testPath := writeCSV(t, filepath.Join(tmp, "test.csv"), test[:300])
	modelPath := filepath.Join(tmp, "model.json.gz")

	var out bytes.Buffer
	if err := RunTrain([]string{"--train", trainPath, "--model", modelPath, "--rounds", "40"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "trained a supervised (40 trees) model on 2000 declarations; saved to "+modelPath) {
		t.Errorf("train printed %q", out.String())
	}

	out.Reset()
	if err := RunScore([]string{"--model", modelPath, "--input", testPath, "--json"}, &out); err != nil {
		t.Fatal(err)
	}
	var results []Result
	if err := json.Unmarshal(out.Bytes(), &results); err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("no declaration needs review")
	}
	for i, r := range results {
		if !r.Review || len(r.Reasons) == 0 {
			t.Errorf("result %d is listed without review or reasons: %+v", i, r)
		}
		if i > 0 && r.Risk > results[i-1].Risk {
			t.Errorf("result %d is riskier than the one before it", i)
		}
	}

	out.Reset()
	if err := RunExplain([]string{"--model", modelPath, "--input", testPath, "--id", results[0].DeclarationID}, &out); err != nil {
		t.Fatal(err)
	}
	var explained Result
	if err := json.Unmarshal(out.Bytes(), &explained); err != nil {
		t.Fatal(err)
	}
	if explained.DeclarationID != results[0].DeclarationID || explained.Score != results[0].Score || len(explained.Reasons) == 0 {
		t.Errorf("explain gave %+v, score gave %+v", explained, results[0])
	}
}

func TestCommandsRejectBadUsage(t *testing.T) {
	tmp := t.TempDir()
	csvPath := filepath.Join(tmp, "rows.csv")
	if err := os.WriteFile(csvPath, []byte(header+goodRow), 0o600); err != nil {
		t.Fatal(err)
	}
	notModel := filepath.Join(tmp, "not-a-model")
	if err := os.WriteFile(notModel, []byte("this is not a model file"), 0o600); err != nil {
		t.Fatal(err)
	}
	modelOut := filepath.Join(tmp, "out.model")
	tests := []struct {
		name    string
		run     func([]string, io.Writer) error
		args    []string
		want    string
		flagErr bool
		is      error
	}{
		{"train needs --model", RunTrain, []string{"--train", csvPath}, "--train and --model are required", true, nil},
		{"train on one declaration cannot learn both outcomes", RunTrain, []string{"--train", csvPath, "--model", modelOut},
			"training: training trees: bad declaration input: the Fraud labels are all true; training needs both outcomes", false, ErrBadInput},
		{"train refuses zero trees", RunTrain, []string{"--train", csvPath, "--model", modelOut, "--rounds", "0"},
			"training: bad anomaly configuration: rounds 0 must be positive", false, ErrBadConfig},
		{"score needs --input", RunScore, []string{"--model", notModel}, "--model and --input are required", true, nil},
		{"score refuses a file that is not a model", RunScore, []string{"--model", notModel, "--input", csvPath},
			"loading model " + notModel + ": bad anomaly model file: not gzip: gzip: invalid header", false, ErrBadModel},
		{"explain needs --id", RunExplain, []string{"--model", notModel, "--input", csvPath}, "--model, --input and --id are required", true, nil},
		{"explain takes no stray arguments", RunExplain, []string{"--id", "1", "x"}, `unexpected argument "x": anomaly explain takes only flags`, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := tc.run(tc.args, &out)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			var fe *FlagError
			if errors.As(err, &fe) != tc.flagErr {
				t.Errorf("FlagError = %v, want %v", !tc.flagErr, tc.flagErr)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error does not wrap %v", tc.is)
			}
			if out.Len() != 0 {
				t.Errorf("wrote %q on error", out.String())
			}
			if _, err := os.Stat(modelOut); !os.IsNotExist(err) {
				t.Errorf("a model file was written on error")
			}
		})
	}
}

func TestExplainReportsAnUnknownDeclaration(t *testing.T) {
	train, _ := sampleData(t)
	tmp := t.TempDir()
	trainPath := writeCSV(t, filepath.Join(tmp, "train.csv"), train[:500])
	modelPath := filepath.Join(tmp, "model")
	if err := RunTrain([]string{"--train", trainPath, "--model", modelPath, "--unsupervised"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	err := RunExplain([]string{"--model", modelPath, "--input", trainPath, "--id", "nope"}, &bytes.Buffer{})
	if !errors.Is(err, ErrNotFound) || err.Error() != `declaration not found: declaration "nope" is not in `+trainPath {
		t.Fatalf("got %v", err)
	}
}
