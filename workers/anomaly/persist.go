package anomaly

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// ErrBadModel is wrapped when a saved model cannot be used.
var ErrBadModel = errors.New("bad anomaly model file")

// Save writes the model as gzip-compressed JSON. The file is written to a
// temporary name and renamed, so a failed save leaves no partial model.
func (m *Model) Save(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".model-*.tmp")
	if err != nil {
		return fmt.Errorf("saving model: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := m.Write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("saving model: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving model: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving model: %w", err)
	}
	return nil
}

// Write encodes the model as gzip-compressed JSON to w.
func (m *Model) Write(w io.Writer) error {
	zw := gzip.NewWriter(w)
	if err := json.NewEncoder(zw).Encode(m); err != nil {
		return fmt.Errorf("encoding model: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compressing model: %w", err)
	}
	return nil
}

// Load reads a model written by [Model.Save]. It returns an error wrapping
// [ErrBadModel] when the file is not a usable model.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading model: %w", err)
	}
	defer f.Close()
	m, err := Read(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("loading model %s: %w", path, err)
	}
	return m, nil
}

// Read decodes a model written by [Model.Write].
func Read(r io.Reader) (*Model, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: not gzip: %v", ErrBadModel, err)
	}
	var m Model
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: decoding: %v", ErrBadModel, err)
	}
	if m.Version != modelVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBadModel, m.Version, modelVersion)
	}
	if m.Baselines == nil {
		return nil, fmt.Errorf("%w: no baselines", ErrBadModel)
	}
	if err := m.Baselines.Volume.check(); err != nil {
		return nil, fmt.Errorf("%w: volume history: %v", ErrBadModel, err)
	}
	if m.Booster != nil {
		if m.Encoder == nil || !slices.Equal(m.Features, featureNames()) || len(m.Encoder.Stats) != len(targetKeys) {
			return nil, fmt.Errorf("%w: its features do not match this version of the scorer", ErrBadModel)
		}
		for i := range m.Booster.Trees {
			if err := m.Booster.Trees[i].check(len(m.Features)); err != nil {
				return nil, fmt.Errorf("%w: tree %d: %v", ErrBadModel, i, err)
			}
		}
	}
	return &m, nil
}

// check makes sure a decoded tree cannot send the scorer out of bounds or
// into a loop: children must come after their parent.
func (t *tree) check(nFeat int) error {
	n := len(t.Feature)
	if n == 0 || len(t.Threshold) != n || len(t.Left) != n || len(t.Right) != n || len(t.Value) != n {
		return errors.New("arrays of different lengths")
	}
	for i := 0; i < n; i++ {
		f := t.Feature[i]
		if f < 0 {
			continue
		}
		if int(f) >= nFeat {
			return fmt.Errorf("node %d splits on feature %d of %d", i, f, nFeat)
		}
		if l, r := int(t.Left[i]), int(t.Right[i]); l <= i || r <= i || l >= n || r >= n {
			return fmt.Errorf("node %d has bad children %d, %d", i, l, r)
		}
	}
	return nil
}
