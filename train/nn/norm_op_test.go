package nn

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The three gradients of BN+ReLU are the same whichever runs first: the
// dx op takes g from its own output when it ran the shared sums, and
// masks dy itself when dgamma or dbeta did.
func TestBNReLUGradientsInAnyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const n, c, h, w = 2, 3, 5, 7
	x, dy := randTensor(r, 1, n, c, h, w), randTensor(r, 1, n, c, h, w)
	gamma, beta := randTensor(r, 1, c), randTensor(r, 1, c)
	var want [][]float32
	for _, order := range [][]int{{0, 1, 2}, {1, 0, 2}, {2, 1, 0}} {
		fwd := &bnOp{op: newOp("bn", 4, 4, 1, 1), bn: NewBatchNorm(c), relu: true, update: true,
			mean: make([]float32, c), invStd: make([]float32, c)}
		y, err := fwd.Do(x, gamma, beta)
		if err != nil {
			t.Fatal(err)
		}
		got := make([][]float32, 3)
		for _, which := range order {
			d, err := (&bnGrad{op: newOp("bn/d", 4, 4, 1, 4, 4), fwd: fwd, which: which}).Do(x, gamma, y, dy)
			if err != nil {
				t.Fatal(err)
			}
			got[which] = f32(d)
		}
		if fwd.masked != (order[0] == 0) {
			t.Errorf("order %v: masked %v", order, fwd.masked)
		}
		if want == nil {
			want = got
			continue
		}
		for i := range got {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("order %v: gradient %d differs from the dx-first order's", order, i)
			}
		}
	}
}
