package decode

import "strconv"

// A reading's numbers are counters and gauges of a few digits, and strconv's
// general parsers, which accept underscores, hex, "inf" and more, were the
// larger part of decoding them. The short cuts below take the literals the
// JSON scanner has already checked and hand anything else to strconv, so the
// results and the errors are strconv's.

// parseFloat is strconv.ParseFloat(string(lit), 64) for a JSON number
// literal.
func parseFloat(lit []byte) (float64, error) {
	if f, ok := exactFloat(lit); ok {
		return f, nil
	}
	return strconv.ParseFloat(string(lit), 64)
}

// exactFloat reads a literal of at most 15 digits and no exponent. Its
// digits as an integer and the power of ten that divides them are exact
// float64s, and IEEE division rounds correctly, as ParseFloat does.
func exactFloat(lit []byte) (float64, bool) {
	neg := len(lit) > 0 && lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	var mant uint64
	digits, decimals, point := 0, 0, false
	for _, c := range lit {
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			digits++
			if point {
				decimals++
			}
		case c == '.' && !point:
			point = true
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 15 {
		return 0, false
	}
	f := float64(mant)
	if decimals > 0 {
		p := 1.0
		for range decimals {
			p *= 10
		}
		f /= p
	}
	if neg {
		f = -f
	}
	return f, true
}

// parseInt is strconv.ParseInt(string(lit), 10, 64) for a JSON number
// literal: digits that cannot overflow are summed here.
func parseInt(lit []byte) (int64, error) {
	digits := lit
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return strconv.ParseInt(string(lit), 10, 64)
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return strconv.ParseInt(string(lit), 10, 64)
		}
		n = n*10 + int64(c-'0')
	}
	if len(digits) < len(lit) {
		n = -n
	}
	return n, nil
}
