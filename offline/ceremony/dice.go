package ceremony

import (
	"crypto/sha256"
	"fmt"
	"math"

	"airsign/offline/hd"
)

// Dice-roll checks. Rolls are mixed into the entropy from crypto/rand, so a
// person who does not trust the machine's generator can add their own. The
// checks refuse rolls that cannot carry the entropy they are meant to: too
// few, or made up by a person rather than thrown. Each check's threshold is
// chosen so that honest rolls of a fair die trip it less than once in ten
// thousand ceremonies.
const (
	bitsPerRoll = 2.584962500721156 // log2(6)
	// chiSquareLimit is the chi-square critical value for 5 degrees of
	// freedom at p = 0.0001.
	chiSquareLimit = 25.745
	// maxRun is the longest run of one face we accept; a run of 9 in 100
	// fair rolls happens about once in 20,000 tries.
	maxRun = 8
)

// MinRolls is how many rolls of a six-sided die carry bits bits of entropy.
func MinRolls(bits int) int { return int(math.Ceil(float64(bits) / bitsPerRoll)) }

// ParseDice reads rolls written as digits 1 to 6; spaces, commas and line
// breaks between them are ignored.
func ParseDice(text []byte) ([]byte, error) {
	var rolls []byte
	for _, c := range text {
		switch {
		case c >= '1' && c <= '6':
			rolls = append(rolls, c-'0')
		case c == ' ' || c == ',' || c == '\n' || c == '\r' || c == '\t':
		default:
			return nil, fmt.Errorf("dice roll %d is %q: write each roll as a digit from 1 to 6", len(rolls)+1, c)
		}
	}
	return rolls, nil
}

// CheckDice refuses rolls (values 1 to 6) that are too few for bits of
// entropy, or that look patterned or biased, and says why.
func CheckDice(rolls []byte, bits int) error {
	need := MinRolls(bits)
	if len(rolls) < need {
		return fmt.Errorf("%d dice rolls carry about %d bits; a %d-bit seed needs at least %d rolls", len(rolls), int(float64(len(rolls))*bitsPerRoll), bits, need)
	}
	var count [7]int
	for i, r := range rolls {
		if r < 1 || r > 6 {
			return fmt.Errorf("dice roll %d is %d, not 1 to 6", i+1, r)
		}
		count[r]++
	}
	if p := period(rolls); p > 0 {
		return fmt.Errorf("the dice rolls repeat every %d rolls: throw the die instead of typing a pattern", p)
	}
	if run, at := longestRun(rolls); run > maxRun {
		return fmt.Errorf("the dice rolls have %d %ds in a row from roll %d: throw the die instead of typing a pattern", run, rolls[at], at+1)
	}
	// Missing a face entirely happens to fair rolls less than once in ten
	// thousand from 61 rolls on (6 * (5/6)^61 < 0.0001).
	if len(rolls) >= 61 {
		for face := 1; face <= 6; face++ {
			if count[face] == 0 {
				return fmt.Errorf("no %d in %d dice rolls: use a fair die and throw it", face, len(rolls))
			}
		}
	}
	expected := float64(len(rolls)) / 6
	chi := 0.0
	for face := 1; face <= 6; face++ {
		d := float64(count[face]) - expected
		chi += d * d / expected
	}
	if chi > chiSquareLimit {
		return fmt.Errorf("the dice rolls are too uneven for a fair die (counts 1-6: %d %d %d %d %d %d): use a fair die and throw it", count[1], count[2], count[3], count[4], count[5], count[6])
	}
	// People who make rolls up avoid repeating the last one; a die does not.
	repeats := 0
	for i := 1; i < len(rolls); i++ {
		if rolls[i] == rolls[i-1] {
			repeats++
		}
	}
	if binomialCDF(repeats, len(rolls)-1, 1.0/6) < 0.0001 {
		return fmt.Errorf("only %d of %d dice rolls after the first repeat the roll before; a thrown die does that about 1 time in 6: throw the die instead of typing", repeats, len(rolls)-1)
	}
	return nil
}

// binomialCDF is P(X <= k) for X ~ Binomial(n, p).
func binomialCDF(k, n int, p float64) float64 {
	sum, term := 0.0, math.Pow(1-p, float64(n)) // P(X = 0)
	for i := 0; i <= k && i <= n; i++ {
		sum += term
		term *= float64(n-i) / float64(i+1) * p / (1 - p)
	}
	return sum
}

// MixDice XORs SHA-256 of the rolls into entropy in place. The result is as
// unpredictable as the better of the two sources.
func MixDice(entropy, rolls []byte) {
	text := make([]byte, len(rolls))
	for i, r := range rolls {
		text[i] = '0' + r
	}
	sum := sha256.Sum256(text)
	for i := range entropy {
		entropy[i] ^= sum[i%len(sum)]
	}
	hd.Wipe(text)
	hd.Wipe(sum[:])
}

// period is the smallest p <= len/3 with rolls[i] == rolls[i+p] for all i,
// or 0 when the rolls do not repeat that way.
func period(rolls []byte) int {
	for p := 1; p <= len(rolls)/3; p++ {
		repeats := true
		for i := 0; i+p < len(rolls); i++ {
			if rolls[i] != rolls[i+p] {
				repeats = false
				break
			}
		}
		if repeats {
			return p
		}
	}
	return 0
}

func longestRun(rolls []byte) (length, start int) {
	for i := 0; i < len(rolls); {
		j := i
		for j < len(rolls) && rolls[j] == rolls[i] {
			j++
		}
		if j-i > length {
			length, start = j-i, i
		}
		i = j
	}
	return length, start
}
