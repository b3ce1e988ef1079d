package nn

import (
	"fmt"
	"math"
)

// Group is a set of parameters sharing one learning rate.
type Group struct {
	Params []*Param
	LR     float64 // peak learning rate
}

// Adam is the Adam optimiser (Kingma and Ba) with per-group learning rates
// annealed by a cosine schedule from LR down to MinLR over Steps updates.
type Adam struct {
	Groups             []Group
	Beta1, Beta2, Eps  float64
	WeightDecay, MinLR float64
	Steps              int
	t                  int
	m, v               map[*Param][]float32
}

// NewAdam returns Adam with the usual betas.
func NewAdam(groups []Group, steps int, minLR float64) *Adam {
	return &Adam{Groups: groups, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, MinLR: minLR, Steps: steps,
		m: map[*Param][]float32{}, v: map[*Param][]float32{}}
}

// LR is the learning rate of a group with peak lr at the current step.
func (a *Adam) LR(lr float64) float64 {
	if a.Steps <= 0 {
		return lr
	}
	f := math.Min(1, float64(a.t)/float64(a.Steps))
	return a.MinLR + (lr-a.MinLR)*0.5*(1+math.Cos(math.Pi*f))
}

// Step updates every parameter from its gradient, scaled by gradScale.
func (a *Adam) Step(gradScale float32) {
	a.t++
	b1, b2 := a.Beta1, a.Beta2
	c1 := 1 - math.Pow(b1, float64(a.t))
	c2 := 1 - math.Pow(b2, float64(a.t))
	for _, g := range a.Groups {
		lr := a.LR(g.LR)
		step := float32(lr * math.Sqrt(c2) / c1)
		for _, p := range g.Params {
			m, ok := a.m[p]
			if !ok {
				m = make([]float32, len(p.W))
				a.m[p] = m
				a.v[p] = make([]float32, len(p.W))
			}
			v := a.v[p]
			for i, gr := range p.G {
				gr *= gradScale
				if a.WeightDecay > 0 {
					p.W[i] -= float32(lr*a.WeightDecay) * p.W[i]
				}
				m[i] = float32(b1)*m[i] + float32(1-b1)*gr
				v[i] = float32(b2)*v[i] + float32(1-b2)*gr*gr
				p.W[i] -= step * m[i] / (float32(math.Sqrt(float64(v[i]))) + float32(a.Eps))
			}
		}
	}
}

// StepCount is the number of updates done so far.
func (a *Adam) StepCount() int { return a.t }

// AdamState is the optimiser's state by parameter name, for checkpoints.
type AdamState struct {
	T    int
	M, V map[string][]float32
}

// State copies the optimiser's state.
func (a *Adam) State() AdamState {
	s := AdamState{T: a.t, M: map[string][]float32{}, V: map[string][]float32{}}
	for p, m := range a.m {
		s.M[p.Name] = append([]float32(nil), m...)
		s.V[p.Name] = append([]float32(nil), a.v[p]...)
	}
	return s
}

// SetState restores a state taken by State over the same parameters.
func (a *Adam) SetState(s AdamState) error {
	a.t = s.T
	for _, g := range a.Groups {
		for _, p := range g.Params {
			m, v := s.M[p.Name], s.V[p.Name]
			if m == nil && v == nil {
				continue // not updated yet when the state was taken
			}
			if len(m) != len(p.W) || len(v) != len(p.W) {
				return fmt.Errorf("optimiser state for %s has %d values, the parameter %d", p.Name, len(m), len(p.W))
			}
			a.m[p], a.v[p] = append([]float32(nil), m...), append([]float32(nil), v...)
		}
	}
	return nil
}
