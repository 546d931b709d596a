package ceremony

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestMinRolls(t *testing.T) {
	for _, tt := range []struct{ bits, want int }{{128, 50}, {160, 62}, {256, 100}} {
		if got := MinRolls(tt.bits); got != tt.want {
			t.Errorf("MinRolls(%d) = %d, want %d", tt.bits, got, tt.want)
		}
	}
}

func fairRolls(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(r.IntN(6) + 1)
	}
	return out
}

// loadedRolls come from a die that shows 1 half of the time.
func loadedRolls(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([]byte, n)
	for i := range out {
		if r.IntN(2) == 0 {
			out[i] = 1
		} else {
			out[i] = byte(r.IntN(5) + 2)
		}
	}
	return out
}

// typedRolls look random to a person: they never repeat the last roll.
func typedRolls(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	out := make([]byte, n)
	for i := range out {
		for out[i] = byte(r.IntN(6) + 1); i > 0 && out[i] == out[i-1]; {
			out[i] = byte(r.IntN(6) + 1)
		}
	}
	return out
}

func digits(s string) []byte {
	rolls, err := ParseDice([]byte(s))
	if err != nil {
		panic(err)
	}
	return rolls
}

func TestCheckDice(t *testing.T) {
	tests := []struct {
		name  string
		rolls []byte
		bits  int
		want  string // "" means accepted
	}{
		{"fair 100 for 256 bits", fairRolls(100, 1), 256, ""},
		{"fair 50 for 128 bits", fairRolls(50, 2), 128, ""},
		{"one short", fairRolls(99, 3), 256, "99 dice rolls carry about 255 bits; a 256-bit seed needs at least 100 rolls"},
		{"counting pattern", digits(strings.Repeat("123456", 17)), 256, "repeat every 6 rolls"},
		{"one face", digits(strings.Repeat("3", 100)), 256, "repeat every 1 rolls"},
		{"long run", append(fairRolls(60, 4), digits("5555555555")...), 128, "10 5s in a row"},
		{"no sixes", digits(strings.Repeat("1234512345123541234512354123451235412345", 2) + "12345213452134521345"), 256, "no 6 in 100 dice rolls"},
		{"uneven", loadedRolls(100, 7), 256, "too uneven"},
		{"never repeats", typedRolls(100, 8), 256, "only 0 of 99 dice rolls after the first repeat"},
		{"out of range", append(fairRolls(60, 5), 7), 128, "not 1 to 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDice(tt.rolls, tt.bits)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want accepted", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want error containing %q", err, tt.want)
			}
		})
	}
}

// Honest rolls must almost never be refused: over 2,000 fair sequences the
// checks, tuned to about 1 in 10,000, may refuse a handful at most.
func TestCheckDiceFalseRefusals(t *testing.T) {
	refused := 0
	for seed := uint64(0); seed < 2000; seed++ {
		if CheckDice(fairRolls(100, seed+100), 256) != nil {
			refused++
		}
	}
	if refused > 3 {
		t.Errorf("%d of 2000 fair roll sequences refused, want at most 3", refused)
	}
}

func TestParseDice(t *testing.T) {
	got, err := ParseDice([]byte("1 2,3\n4\t5\r\n6"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{1, 2, 3, 4, 5, 6}; string(got) != string(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"1230", "127", "12a"} {
		if _, err := ParseDice([]byte(bad)); err == nil || !strings.Contains(err.Error(), "from 1 to 6") {
			t.Errorf("ParseDice(%q) = %v, want a digit error", bad, err)
		}
	}
}

func TestMixDice(t *testing.T) {
	a := make([]byte, 32)
	b := make([]byte, 32)
	MixDice(a, digits("123"))
	MixDice(b, digits("124"))
	if string(a) == string(b) {
		t.Error("different rolls mixed to the same entropy")
	}
	// zero entropy xor sha256("123")
	if got, want := a[0], byte(0xa6); got != want {
		t.Errorf("first byte = %#x, want %#x (sha256 of \"123\")", got, want)
	}
}
