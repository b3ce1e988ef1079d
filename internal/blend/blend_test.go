package blend

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// reference is Weighted's definition, one sample at a time.
func reference(dst, src, keep, add []byte) {
	for i := range dst {
		k := binary.LittleEndian.Uint16(keep[2*i:])
		a := binary.LittleEndian.Uint16(add[2*i:])
		dst[i] = uint8((uint16(src[i])*k + a) >> 8)
	}
}

func randomRows(r *rand.Rand, n int, overlay bool) (src, keep, add []byte) {
	src = make([]byte, n)
	keep, add = make([]byte, WeightBytes(n)), make([]byte, WeightBytes(n))
	for i := range src {
		src[i] = byte(r.IntN(256))
		k, a := uint16(r.IntN(65536)), uint16(r.IntN(65536))
		if overlay { // the overlay's range: keep = 256-w, add = colour*w
			w := uint16(r.IntN(257))
			k, a = 256-w, uint16(r.IntN(256))*w
		}
		binary.LittleEndian.PutUint16(keep[2*i:], k)
		binary.LittleEndian.PutUint16(add[2*i:], a)
	}
	return src, keep, add
}

func TestWeightedMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 3, 31, 32, 33, 63, 64, 65, 100, 1440, 4099} {
		for _, overlay := range []bool{false, true} {
			src, keep, add := randomRows(r, n, overlay)
			got, want := make([]byte, n), make([]byte, n)
			Weighted(got, src, keep, add)
			reference(want, src, keep, add)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("n=%d overlay=%v: sample %d = %d, want %d (src %d, keep %d, add %d, vector loop %v)",
						n, overlay, i, got[i], want[i], src[i], binary.LittleEndian.Uint16(keep[2*i:]), binary.LittleEndian.Uint16(add[2*i:]), haveVector)
				}
			}
		}
	}
}

func TestWeightedLeavesTheRestAlone(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	src, keep, add := randomRows(r, 100, true)
	dst := make([]byte, 100)
	for i := range dst {
		dst[i] = 0xAA
	}
	Weighted(dst[:70], src, keep, add)
	for i := 70; i < 100; i++ {
		if dst[i] != 0xAA {
			t.Fatalf("sample %d past the 70 asked for was written", i)
		}
	}
}

func TestPut3SpillIsOverwrittenInOrder(t *testing.T) {
	row := make([]byte, WeightBytes(6))
	for i := range 2 {
		Put3(row, i, uint64(10*i+1)|uint64(10*i+2)<<16|uint64(10*i+3)<<32)
	}
	want := []uint16{1, 2, 3, 11, 12, 13}
	for i, w := range want {
		if got := binary.LittleEndian.Uint16(row[2*i:]); got != w {
			t.Fatalf("lane %d = %d, want %d", i, got, w)
		}
	}
}

func BenchmarkWeighted(b *testing.B) {
	n := 3 * 480 * 360 // one overlay frame
	src, keep, add := randomRows(rand.New(rand.NewPCG(5, 6)), n, true)
	dst := make([]byte, n)
	b.SetBytes(int64(n))
	for b.Loop() {
		Weighted(dst, src, keep, add)
	}
}
