package qr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Specter DIY's "pMofN" animation: each frame is "pM" + "of" + "N", a
// space, and the M-th of N consecutive pieces of one text (a base64 PSBT,
// usually). It has no checksum of its own; what it carries does.

// MaxPMofNParts bounds N before anything is allocated for the parts.
const MaxPMofNParts = 1_000

// maxPMofNBytes bounds the joined text (a 1 MiB PSBT in base64 and some).
const maxPMofNBytes = 1_500_000

type pmofnDecoder struct {
	total int
	parts []string
	have  int
	size  int
}

// isPMofN reports whether part looks like a pMofN frame.
func isPMofN(part string) bool {
	head, _, ok := strings.Cut(part, " ")
	if !ok || len(head) < 4 || (head[0] != 'p' && head[0] != 'P') {
		return false
	}
	m, n, ok := strings.Cut(strings.ToLower(head[1:]), "of")
	return ok && isDigits(m) && isDigits(n)
}

func isDigits(s string) bool {
	if s == "" || len(s) > 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func parsePMofN(part string) (m, n int, data string, err error) {
	head, data, _ := strings.Cut(part, " ")
	ms, ns, _ := strings.Cut(strings.ToLower(head[1:]), "of")
	m, _ = strconv.Atoi(ms)
	n, _ = strconv.Atoi(ns)
	switch {
	case n < 1 || n > MaxPMofNParts:
		return 0, 0, "", fmt.Errorf("frame %q says %d parts; a pMofN transfer has 1 to %d", head, n, MaxPMofNParts)
	case m < 1 || m > n:
		return 0, 0, "", fmt.Errorf("frame %q is part %d of %d, which does not exist", head, m, n)
	case data == "":
		return 0, 0, "", fmt.Errorf("frame %q carries no data", head)
	}
	return m, n, data, nil
}

func (d *pmofnDecoder) add(part string) (bool, error) {
	m, n, data, err := parsePMofN(part)
	if err != nil {
		return false, err
	}
	if d.parts == nil {
		d.total, d.parts = n, make([]string, n)
	} else if n != d.total {
		return d.have == d.total, fmt.Errorf("frame p%dof%d belongs to another transfer of %d parts than this one of %d: keep scanning the right code", m, n, n, d.total)
	}
	if old := d.parts[m-1]; old != "" {
		if old != data {
			return d.have == d.total, fmt.Errorf("frame p%dof%d differs from the part %d already read: two transfers are mixed", m, n, m)
		}
		return d.have == d.total, nil
	}
	if d.size+len(data) > maxPMofNBytes {
		return false, fmt.Errorf("the pMofN transfer is more than %d bytes", maxPMofNBytes)
	}
	d.parts[m-1] = data
	d.size += len(data)
	d.have++
	return d.have == d.total, nil
}

func (d *pmofnDecoder) progress() float64 {
	if d.total == 0 {
		return 0
	}
	return float64(d.have) / float64(d.total)
}

func (d *pmofnDecoder) result() (string, error) {
	if d.total == 0 || d.have < d.total {
		return "", errors.New("the pMofN transfer is not complete")
	}
	return strings.Join(d.parts, ""), nil
}

// splitPMofN cuts text into n pieces of at most maxChars as pMofN frames.
func splitPMofN(text string, maxChars int) ([]string, error) {
	if maxChars < 1 {
		return nil, errors.New("pMofN frames need room for at least one character")
	}
	n := (len(text) + maxChars - 1) / maxChars
	if n == 0 || n > MaxPMofNParts {
		return nil, fmt.Errorf("%d bytes make %d pMofN frames; 1 to %d are allowed", len(text), n, MaxPMofNParts)
	}
	var parts []string
	for i := 0; i < n; i++ {
		end := min(len(text), (i+1)*maxChars)
		parts = append(parts, fmt.Sprintf("p%dof%d %s", i+1, n, text[i*maxChars:end]))
	}
	return parts, nil
}
