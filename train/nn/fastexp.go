package nn

import "math"

// exp32 is e^x in float32 to about 2 ulp, several times faster than
// math.Exp: x = n·ln2 + r with |r| <= ln2/2, e^r by a degree-6
// polynomial, 2^n put into the exponent bits. The loss calls it for every
// class of every pixel.
func exp32(x float32) float32 {
	switch {
	case x > 88.37: // 2^128 would not fit the exponent
		return float32(math.Inf(1))
	case x < -87.3:
		return 0
	}
	const log2e, ln2hi, ln2lo = 1.44269504088896341, 0.693359375, -2.12194440e-4
	// Adding and subtracting 1.5·2^23 rounds to the nearest integer.
	const magic = 12582912
	n := (x*log2e + magic) - magic
	r := x - n*ln2hi - n*ln2lo
	p := float32(1.0 / 720)
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}
