package train

import (
	"math"
	"slices"
	"testing"

	"osr/train/nn"
)

// gradEntry is one weight's gradient: params[p].G[i] is g.
type gradEntry struct {
	p, i int
	g    float64
}

// gradsOf copies the params' gradients.
func gradsOf(params []*nn.Param) [][]float32 {
	var out [][]float32
	for _, p := range params {
		out = append(out, slices.Clone(p.G))
	}
	return out
}

// gradDiff is, weight by weight, total minus the params' gradient now,
// largest magnitude first: the part of a gradient one term adds.
func gradDiff(params []*nn.Param, total [][]float32) []gradEntry {
	var d []gradEntry
	for pi, p := range params {
		for i := range p.G {
			d = append(d, gradEntry{pi, i, float64(total[pi][i] - p.G[i])})
		}
	}
	slices.SortFunc(d, func(a, b gradEntry) int { return cmpAbs(b.g, a.g) })
	return d
}

// agreeWithFD compares the 8 largest of grads with central finite
// differences of scale·loss in each weight, steps of rel·max(1, |w|), and
// fails unless all but one agree within 10 %. through names the path the
// gradients came, what the weights.
func agreeWithFD(t *testing.T, params []*nn.Param, grads []gradEntry, rel float32, scale float64, loss func() float64, through, what string) {
	t.Helper()
	const checked = 8
	good := 0
	for _, e := range grads[:checked] {
		w := &params[e.p].W[e.i]
		orig := *w
		eps := rel * max(1, float32(math.Abs(float64(orig))))
		*w = orig + eps
		up := loss()
		*w = orig - eps
		down := loss()
		*w = orig
		fd := scale * (up - down) / float64(2*eps)
		r := math.Abs(fd-e.g) / math.Max(math.Abs(fd), 1e-12)
		t.Logf("%s[%d]: through the %s %.4g, finite difference %.4g (%.1f %%)", params[e.p].Name, e.i, through, e.g, fd, 100*r)
		if r < 0.1 {
			good++
		}
	}
	if grads[0].g == 0 || good < checked-1 {
		t.Fatalf("%d of the %d largest %s gradients through the %s agree with finite differences within 10 %%", good, checked, what, through)
	}
}

func cmpAbs(a, b float64) int {
	switch a, b = math.Abs(a), math.Abs(b); {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
