package coordinator

import (
	"cmp"
	"maps"
	"slices"
	"sync"
	"time"
	"unicode/utf8"
)

// Refusals of requests nobody is known to have made (no valid credential)
// are evidence, but each one a signed, synced audit entry lets anyone who
// can reach the port grow the log at will: 200 requests with long paths
// added 3 MB in 16 s. So a source's first refusal of a kind in each window
// is written as it is, and the rest are counted and written as one summary
// entry when the window has passed (at the next refusal, or FlushRefusals).
const (
	// RefusalWindow is how long a source's further refusals of a kind are
	// counted instead of written.
	RefusalWindow = time.Minute
	// maxRefusalSources bounds the (kind, source, reason) one window
	// tracks by name; further ones are counted together.
	maxRefusalSources = 64
	// maxRefusalField bounds what a refusal entry keeps of any text the
	// client chose (a path, a user name).
	maxRefusalField = 128
)

type refusalKey struct{ kind, source, reason string }

type refusalTally struct {
	mu     sync.Mutex
	start  time.Time
	seen   map[refusalKey]int // refusals counted after the first
	others int                // refusals of sources past maxRefusalSources
}

// Refused records the refusal of an unauthenticated request from source
// (the client's address): written in full if it is that source's first of
// kind for that reason (data["reason"]) this window, else counted for the
// window's summary. Text fields are cut to 128 bytes; data says the
// source itself if the entry is to name it.
func (c *Coordinator) Refused(kind, source string, data map[string]any) error {
	t := &c.refusals
	now := c.cfg.Now()
	t.mu.Lock()
	summary := t.rollLocked(now)
	reason, _ := data["reason"].(string)
	key := refusalKey{kind, clip(source), clip(reason)}
	_, ok := t.seen[key]
	write := false
	switch {
	case ok:
		t.seen[key]++
	case len(t.seen) >= maxRefusalSources:
		t.others++
	default:
		t.seen[key] = 0
		write = true
	}
	t.mu.Unlock()
	if summary != nil {
		if err := c.Record("refusals-summary", summary); err != nil {
			return err
		}
	}
	if !write {
		return nil
	}
	entry := map[string]any{}
	for k, v := range data {
		if s, ok := v.(string); ok {
			v = clip(s)
		}
		entry[k] = v
	}
	return c.Record(kind, entry)
}

// FlushRefusals writes the summary of the current window's counted
// refusals, if any (the server calls it when it stops).
func (c *Coordinator) FlushRefusals() error {
	t := &c.refusals
	t.mu.Lock()
	summary := t.summaryLocked(c.cfg.Now())
	t.start, t.seen, t.others = time.Time{}, nil, 0
	t.mu.Unlock()
	if summary == nil {
		return nil
	}
	return c.Record("refusals-summary", summary)
}

// rollLocked starts a new window when the current one has passed, and
// returns the summary of the old one (nil when nothing was counted).
func (t *refusalTally) rollLocked(now time.Time) map[string]any {
	if t.seen != nil && now.Sub(t.start) < RefusalWindow && !now.Before(t.start) {
		return nil
	}
	summary := t.summaryLocked(now)
	t.start, t.seen, t.others = now, map[refusalKey]int{}, 0
	return summary
}

func (t *refusalTally) summaryLocked(now time.Time) map[string]any {
	var sources []map[string]any
	total := t.others
	for _, k := range slices.SortedFunc(maps.Keys(t.seen), func(a, b refusalKey) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.source, b.source), cmp.Compare(a.reason, b.reason))
	}) {
		n := t.seen[k]
		if n == 0 {
			continue
		}
		total += n
		sources = append(sources, map[string]any{"kind": k.kind, "source": k.source, "reason": k.reason, "count": n})
	}
	if total == 0 {
		return nil
	}
	s := map[string]any{"from": t.start.UTC(), "to": now.UTC(), "counted": total, "sources": sources}
	if t.others > 0 {
		s["other_sources"] = t.others
	}
	return s
}

// clip cuts s to maxRefusalField bytes on a rune boundary.
func clip(s string) string {
	if len(s) <= maxRefusalField {
		return s
	}
	cut := maxRefusalField
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
