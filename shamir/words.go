package shamir

import (
	"sync"

	"github.com/tyler-smith/go-bip39/wordlists"
)

// The words form writes the envelope as a bit string, most significant bit
// first, padded with zero bits to a multiple of 11; each 11 bits index the
// BIP39 English list.
//
// The list comes from go-bip39's wordlists.English rather than
// bip39.GetWordList, which returns whatever list some other package last
// set with bip39.SetWordList.

const wordBits = 11

type wordTable struct {
	words  []string
	index  map[string]int // full word -> index
	prefix map[string]int // first four letters -> index (unique in BIP39)
}

var englishTable = sync.OnceValue(func() *wordTable {
	t := &wordTable{
		words:  wordlists.English,
		index:  make(map[string]int, len(wordlists.English)),
		prefix: make(map[string]int, len(wordlists.English)),
	}
	if len(t.words) != 1<<wordBits {
		panic("shamir: BIP39 English word list does not have 2048 words")
	}
	for i, w := range t.words {
		t.index[w] = i
		if len(w) >= 4 {
			t.prefix[w[:4]] = i
		}
	}
	return t
})

// WordBits is how many bits one word of the words form carries, as in
// BIP39.
const WordBits = wordBits

// EnvelopeLen is the length in bytes of a share of a seed of entropyLen
// bytes: the secret's length, plus the header and the CRC.
func EnvelopeLen(entropyLen int) int { return overhead + entropyLen }

// WordCount is how many words the words form of a share of a seed of
// entropyLen bytes has: 22 for a 12-word seed (16 bytes), 34 for a 24-word
// one (32 bytes).
func WordCount(entropyLen int) int { return wordCount(EnvelopeLen(entropyLen)) }

// WordCount is how many words s has in the words form.
func (s *Share) WordCount() int { return WordCount(len(s.Y)) }

// wordCount returns the number of words for n envelope bytes.
func wordCount(n int) int {
	return (8*n + wordBits - 1) / wordBits
}

// byteCountForWords returns the number of envelope bytes a share of w words
// holds, or false if no share has w words.
func byteCountForWords(w int) (int, bool) {
	n := w * wordBits / 8
	if !validEntropyLen(n-overhead) || wordCount(n) != w {
		return 0, false
	}
	return n, true
}

// toIndexes splits b into 11-bit word indexes.
func toIndexes(b []byte) []int {
	idx := make([]int, wordCount(len(b)))
	for i := range idx {
		v := 0
		for j := range wordBits {
			bit := i*wordBits + j
			v <<= 1
			if bit < 8*len(b) && b[bit/8]&(0x80>>(bit%8)) != 0 {
				v |= 1
			}
		}
		idx[i] = v
	}
	return idx
}

// fromIndexes packs word indexes into n bytes and reports whether the
// padding bits were all zero.
func fromIndexes(idx []int, n int) ([]byte, bool) {
	buf := make([]byte, (len(idx)*wordBits+7)/8)
	for i, v := range idx {
		putWord(buf, i, v)
	}
	padOK := true
	for bit := 8 * n; bit < len(idx)*wordBits; bit++ {
		if buf[bit/8]&(0x80>>(bit%8)) != 0 {
			padOK = false
		}
	}
	b := append([]byte(nil), buf[:n]...)
	wipe(buf)
	return b, padOK
}

// putWord writes the 11-bit value v as word i of buf.
func putWord(buf []byte, i, v int) {
	for j := range wordBits {
		bit := i*wordBits + j
		mask := byte(0x80 >> (bit % 8))
		if v&(1<<(wordBits-1-j)) != 0 {
			buf[bit/8] |= mask
		} else {
			buf[bit/8] &^= mask
		}
	}
}

// Words returns the words form of s: BIP39 English words separated by
// single spaces. It is a byte slice, not a string, because it is secret:
// wipe it when done.
func (s *Share) Words() []byte {
	b := s.Bytes()
	defer wipe(b)
	return appendWords(nil, toIndexes(b), " ")
}

func appendWords(dst []byte, idx []int, sep string) []byte {
	t := englishTable()
	for i, v := range idx {
		if i > 0 {
			dst = append(dst, sep...)
		}
		dst = append(dst, t.words[v]...)
	}
	return dst
}

// parseIndexes decodes a share from word indexes: length, padding, CRC and
// header. On a checksum failure it looks for the one word that, replaced,
// would make the share valid, and names its position (never the word).
func parseIndexes(idx []int) (*Share, error) {
	n, ok := byteCountForWords(len(idx))
	if !ok {
		return nil, &WordCountError{Count: len(idx)}
	}
	b, padOK := fromIndexes(idx, n)
	defer wipe(b)
	if padOK {
		if s, err := parseChecked(b, true); err == nil {
			return s, nil
		} else if _, isSum := err.(*ChecksumError); !isSum {
			return nil, err
		}
	}
	if e := repairOneWord(idx, n); e != nil {
		return nil, e
	}
	return nil, &ChecksumError{Words: true}
}

// repairOneWord tries every replacement of every single word. If exactly
// one position can be repaired into a valid share it returns a
// ChecksumError naming that position; otherwise nil. The CRC detects every
// error inside one word, so at most one replacement per position can
// succeed; more than one repairable position means more than one error.
func repairOneWord(idx []int, n int) *ChecksumError {
	buf := make([]byte, (len(idx)*wordBits+7)/8)
	defer wipe(buf)
	for i, v := range idx {
		putWord(buf, i, v)
	}
	padBits := len(idx)*wordBits - 8*n
	last := len(idx) - 1
	padOK := idx[last]&(1<<padBits-1) == 0
	var found *ChecksumError
	for p, orig := range idx {
		if !padOK && p != last {
			continue // only replacing the last word can clear its padding
		}
		for v := range 1 << wordBits {
			if v == orig {
				continue
			}
			if p == last && v&(1<<padBits-1) != 0 {
				continue // padding must stay zero
			}
			putWord(buf, p, v)
			s, err := parseChecked(buf[:n], true)
			if err != nil {
				continue
			}
			s.Wipe()
			if found != nil {
				putWord(buf, p, orig)
				return nil
			}
			found = &ChecksumError{Word: p + 1, SetID: s.SetID, Index: s.Index, Total: s.Total, Words: true}
			break
		}
		putWord(buf, p, orig)
	}
	return found
}
