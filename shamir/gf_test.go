package shamir

// GF(2^8) arithmetic as in hashicorp/vault/shamir: polynomial
// x^8 + x^4 + x^3 + x + 1 (0x11b), the AES field. The tests use it to build
// the documented example and to check its hand computation.

func gfMul(a, b byte) byte {
	var r byte
	for i := 7; i >= 0; i-- {
		hi := r & 0x80
		r <<= 1
		if hi != 0 {
			r ^= 0x1b
		}
		if b>>i&1 == 1 {
			r ^= a
		}
	}
	return r
}

func gfInv(a byte) byte {
	// a^254 = a^-1 for a != 0
	r := byte(1)
	for range 254 {
		r = gfMul(r, a)
	}
	return r
}

func gfDiv(a, b byte) byte { return gfMul(a, gfInv(b)) }
