package nn

import "math"

// expShifted sets dst[j] = e^(z[j]-shift[j]) and adds it to sum[j], to
// about 2 ulp and several times faster than math.Exp: x = n·ln2 + r with
// |r| <= ln2/2, e^r by a degree-6 polynomial, 2^n put into the exponent
// bits. The loss calls it for every class of every pixel; it is a loop
// over a block rather than a function of one value because that function
// is too large for Go to inline, and the call cost a third of the time.
func expShifted(dst, z, shift, sum []float32) {
	if simdOK {
		expShiftedSIMD(dst, z, shift, sum)
		return
	}
	expShiftedScalar(dst, z, shift, sum)
}

// The constants of expShifted.
const (
	expLog2e = 1.44269504088896341
	expLn2hi = 0.693359375
	expLn2lo = -2.12194440e-4
	// Adding and subtracting 1.5·2^23 rounds to the nearest integer.
	expMagic = 12582912
	expOver  = 88.37 // above, 2^n would not fit the exponent
	expUnder = -87.3 // below, e^x is taken as 0
)

func expShiftedScalar(dst, z, shift, sum []float32) {
	z, shift, sum = z[:len(dst)], shift[:len(dst)], sum[:len(dst)]
	for j := range dst {
		x := z[j] - shift[j]
		var e float32
		switch {
		case x > expOver:
			e = float32(math.Inf(1))
		case x < expUnder:
			e = 0
		default:
			n := (x*expLog2e + expMagic) - expMagic
			r := x - n*expLn2hi - n*expLn2lo
			p := float32(1.0 / 720)
			p = p*r + 1.0/120
			p = p*r + 1.0/24
			p = p*r + 1.0/6
			p = p*r + 0.5
			p = p*r + 1
			p = p*r + 1
			e = p * math.Float32frombits(uint32(int32(n)+127)<<23)
		}
		dst[j] = e
		sum[j] += e
	}
}
