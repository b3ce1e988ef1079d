package nn

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"os"

	"osr/internal/atomicfile"
)

// checkpointVersion changes when the layout below does.
const checkpointVersion = 1

// Checkpoint is everything a training run needs to continue bit for bit:
// weights and batch-norm statistics of every network, optimiser states,
// the step, the random generator's state and the run's config.
type Checkpoint struct {
	Version int
	Step    int
	Config  []byte // the run's config, as the trainer wrote it
	RNG     []byte // rand.PCG state (MarshalBinary)
	Params  map[string][]float32
	Norms   map[string][2][]float32 // running mean, running variance
	Optim   map[string]AdamState
	Extra   map[string]float64 // trainer's running figures (losses, wall time)
}

// NewCheckpoint is an empty checkpoint at step.
func NewCheckpoint(step int) *Checkpoint {
	return &Checkpoint{Version: checkpointVersion, Step: step, Params: map[string][]float32{},
		Norms: map[string][2][]float32{}, Optim: map[string]AdamState{}, Extra: map[string]float64{}}
}

// Capture copies a store's parameters and statistics under prefix.
func (c *Checkpoint) Capture(prefix string, s *Store) {
	for _, p := range s.Params {
		c.Params[prefix+p.Name] = append([]float32(nil), p.W...)
	}
	for _, bn := range s.Norms {
		c.Norms[prefix+bn.Name] = [2][]float32{append([]float32(nil), bn.RunMean...), append([]float32(nil), bn.RunVar...)}
	}
}

// Restore loads a store's parameters and statistics from under prefix.
// The store must already hold every parameter (build a graph first); a
// missing or mis-sized one is an error naming it.
func (c *Checkpoint) Restore(prefix string, s *Store) error {
	for _, p := range s.Params {
		w, ok := c.Params[prefix+p.Name]
		if !ok {
			return fmt.Errorf("checkpoint has no parameter %s%s", prefix, p.Name)
		}
		if len(w) != len(p.W) {
			return fmt.Errorf("checkpoint parameter %s%s has %d values, the network %d", prefix, p.Name, len(w), len(p.W))
		}
		copy(p.W, w)
	}
	for _, bn := range s.Norms {
		st, ok := c.Norms[prefix+bn.Name]
		if !ok || len(st[0]) != bn.C || len(st[1]) != bn.C {
			return fmt.Errorf("checkpoint has no statistics for %s%s (%d channels)", prefix, bn.Name, bn.C)
		}
		copy(bn.RunMean, st[0])
		copy(bn.RunVar, st[1])
	}
	return nil
}

// Save writes the checkpoint atomically: a reader, or a run killed while
// saving, sees the previous file or the new one, never a mix.
func (c *Checkpoint) Save(path string) error {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(c); err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	return atomicfile.Write(path, b.Bytes())
}

// ErrNoCheckpoint is returned by LoadCheckpoint when there is none.
var ErrNoCheckpoint = errors.New("no checkpoint")

// LoadCheckpoint reads a checkpoint written by Save.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoCheckpoint)
	}
	if err != nil {
		return nil, err
	}
	c, err := DecodeCheckpoint(data)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return c, nil
}

// DecodeCheckpoint decodes what Save wrote.
func DecodeCheckpoint(data []byte) (*Checkpoint, error) {
	var c Checkpoint
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&c); err != nil {
		return nil, fmt.Errorf("damaged: %w", err)
	}
	if c.Version != checkpointVersion {
		return nil, fmt.Errorf("version %d, this osr reads %d", c.Version, checkpointVersion)
	}
	return &c, nil
}
