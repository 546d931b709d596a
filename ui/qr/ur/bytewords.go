package ur

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// words is the Bytewords dictionary of BCR-2020-012, revised October 4, 2020
// (the alphabetised list: 0x85 is "limp", 0xff is "zoom"). Byte b is
// words[4*b : 4*b+4].
const words = "" +
	"ableacidalsoapexaquaarchatomaunt" +
	"awayaxisbackbaldbarnbeltbetabias" +
	"bluebodybragbrewbulbbuzzcalmcash" +
	"catschefcityclawcodecolacookcost" +
	"cruxcurlcuspcyandarkdatadaysdeli" +
	"dicedietdoordowndrawdropdrumdull" +
	"dutyeacheasyechoedgeepicevenexam" +
	"exiteyesfactfairfernfigsfilmfish" +
	"fizzflapflewfluxfoxyfreefrogfuel" +
	"fundgalagamegeargemsgiftgirlglow" +
	"goodgraygrimgurugushgyrohalfhang" +
	"hardhawkheathelphighhillholyhope" +
	"hornhutsicedideaidleinchinkyinto" +
	"irisironitemjadejazzjoinjoltjowl" +
	"judojugsjumpjunkjurykeepkenokept" +
	"keyskickkilnkingkitekiwiknoblamb" +
	"lavalazyleaflegsliarlimplionlist" +
	"logoloudloveluaulucklungmainmany" +
	"mathmazememomenumeowmildmintmiss" +
	"monknailnavyneednewsnextnoonnote" +
	"numbobeyoboeomitonyxopenovalowls" +
	"paidpartpeckplaypluspoempoolpose" +
	"puffpumapurrquadquizracerampreal" +
	"redorichroadrockroofrubyruinruns" +
	"rustsafesagascarsetssilkskewslot" +
	"soapsolosongstubsurfswantacotask" +
	"taxitenttiedtimetinytoiltombtoys" +
	"triptunatwinuglyundouniturgeuser" +
	"vastveryvetovialvibeviewvisavoid" +
	"vowswallwandwarmwaspwavewaxywebs" +
	"whatwhenwhizwolfworkyankyawnyell" +
	"yogayurtzapszerozestzinczonezoom"

// wordIndex maps a four-letter word to its byte, and minimalIndex maps the
// first and last letters of a word (the minimal form) to its byte. Both are
// computed once; they are constant tables, not mutable state.
var wordIndex, minimalIndex = func() (map[string]byte, map[[2]byte]byte) {
	w := make(map[string]byte, 256)
	m := make(map[[2]byte]byte, 256)
	for b := 0; b < 256; b++ {
		word := words[4*b : 4*b+4]
		w[word] = byte(b)
		m[[2]byte{word[0], word[3]}] = byte(b)
	}
	return w, m
}()

// bytewordsStyle selects how words are written.
type bytewordsStyle int

const (
	styleStandard bytewordsStyle = iota // "able acid also"
	styleURI                            // "able-acid-also"
	styleMinimal                        // "aeadao": first and last letters
)

// crc32Bytes is the big-endian CRC-32 (IEEE) of data, the checksum Bytewords
// appends and the fountain parts carry.
func crc32Bytes(data []byte) [4]byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], crc32.ChecksumIEEE(data))
	return b
}

// encodeBytewords writes data followed by its CRC-32 in the given style, in
// lower case.
func encodeBytewords(style bytewordsStyle, data []byte) string {
	sum := crc32Bytes(data)
	all := make([]byte, 0, len(data)+4)
	all = append(all, data...)
	all = append(all, sum[:]...)
	var sb strings.Builder
	switch style {
	case styleMinimal:
		sb.Grow(2 * len(all))
		for _, b := range all {
			sb.WriteByte(words[4*int(b)])
			sb.WriteByte(words[4*int(b)+3])
		}
	default:
		sep := byte(' ')
		if style == styleURI {
			sep = '-'
		}
		sb.Grow(5 * len(all))
		for i, b := range all {
			if i > 0 {
				sb.WriteByte(sep)
			}
			sb.WriteString(words[4*int(b) : 4*int(b)+4])
		}
	}
	return sb.String()
}

// errBytewordsChecksum is returned when the words decode but their CRC-32 does
// not match: the text was damaged or misread.
var errBytewordsChecksum = errors.New("bytewords checksum does not match")

// decodeBytewords reads text written by encodeBytewords (any case), checks the
// trailing CRC-32 and returns the data without it.
func decodeBytewords(style bytewordsStyle, text string) ([]byte, error) {
	var out []byte
	switch style {
	case styleMinimal:
		if len(text)%2 != 0 {
			return nil, fmt.Errorf("bytewords: odd length %d, minimal bytewords come in letter pairs", len(text))
		}
		out = make([]byte, 0, len(text)/2)
		for i := 0; i < len(text); i += 2 {
			key := [2]byte{lower(text[i]), lower(text[i+1])}
			b, ok := minimalIndex[key]
			if !ok {
				return nil, fmt.Errorf("bytewords: %q at offset %d is not a byteword", text[i:i+2], i)
			}
			out = append(out, b)
		}
	default:
		sep := " "
		if style == styleURI {
			sep = "-"
		}
		if text == "" {
			return nil, errors.New("bytewords: empty input")
		}
		fields := strings.Split(text, sep)
		out = make([]byte, 0, len(fields))
		for i, f := range fields {
			b, ok := wordIndex[strings.ToLower(f)]
			if !ok {
				return nil, fmt.Errorf("bytewords: word %d %q is not a byteword", i+1, f)
			}
			out = append(out, b)
		}
	}
	if len(out) < 5 {
		return nil, fmt.Errorf("bytewords: %d bytes is too short to hold data and a 4-byte checksum", len(out))
	}
	body, sum := out[:len(out)-4], out[len(out)-4:]
	if want := crc32Bytes(body); string(want[:]) != string(sum) {
		return nil, errBytewordsChecksum
	}
	return body, nil
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
