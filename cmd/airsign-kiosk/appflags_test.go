package main

import (
	"flag"
	"slices"
	"testing"
)

// --media: comma-separated folders, variables expanded, a folder naming
// an unset variable left out (a kiosk session may have no $USER).
func TestMediaRoots(t *testing.T) {
	t.Setenv("USER", "operator")
	t.Setenv("AIRSIGN_EMPTY", "")
	for _, c := range []struct {
		media string
		want  []string
	}{
		{defaultMedia, []string{"/media", "/run/media/operator", "/mnt"}},
		{"/media/usb", []string{"/media/usb"}},
		{" /a , ,/b ", []string{"/a", "/b"}},
		{"/run/media/$AIRSIGN_UNSET,/mnt", []string{"/mnt"}},
		{"/run/media/${AIRSIGN_EMPTY},/mnt", []string{"/mnt"}},
		{"", nil},
	} {
		fs := flag.NewFlagSet("app", flag.ContinueOnError)
		f := addAppFlags(fs)
		if err := fs.Parse([]string{"--media", c.media}); err != nil {
			t.Fatal(err)
		}
		if got := f.mediaRoots(); !slices.Equal(got, c.want) {
			t.Errorf("--media %q: roots %q, want %q", c.media, got, c.want)
		}
	}
}
