package kioskapp

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	core "airsign/offline/kiosk"
	"airsign/ui/qr"
)

// theDialog is the media dialog on top of w.
func theDialog(t *testing.T, w fyne.Window) fyne.CanvasObject {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog is open; the screen shows %q", texts(w.Content()))
	}
	return top
}

// find is the first object under o that is what want says, or nil.
func find[T fyne.CanvasObject](o fyne.CanvasObject, want func(T) bool) T {
	var found T
	done := false
	walk(o, func(o fyne.CanvasObject) {
		if x, ok := o.(T); ok && !done && want(x) {
			found, done = x, true
		}
	})
	return found
}

// tapIn taps the button text in the dialog on top of w.
func tapIn(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	d := theDialog(t, w)
	b := find(d, func(b *widget.Button) bool { return b.Text == text })
	if b == nil {
		t.Fatalf("no button %q in the dialog: %q", text, texts(d))
	}
	if b.Disabled() {
		t.Fatalf("button %q is disabled", text)
	}
	test.Tap(b)
}

// row is the dialog's line for the entry name.
func row(t *testing.T, w fyne.Window, name string) *mediaRow {
	t.Helper()
	d := theDialog(t, w)
	r := find(d, func(r *mediaRow) bool { return r.name.Text == name })
	if r == nil {
		t.Fatalf("no entry %q in the dialog: %q", name, texts(d))
	}
	return r
}

func tapRow(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	test.Tap(row(t, w, name))
}

// dialogSays fails unless some text of the dialog holds want.
func dialogSays(t *testing.T, w fyne.Window, want string) {
	t.Helper()
	if d := theDialog(t, w); !contains(d, want) {
		t.Fatalf("the dialog does not say %q: %q", want, texts(d))
	}
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// withdrawalParts is a withdrawal as UR parts small enough to make many
// frames.
func (s *station) withdrawalParts(t *testing.T) []string {
	t.Helper()
	parts, err := qr.EncodePSBT(s.withdrawal(t, 150_000), qr.EncodeOptions{Format: qr.FormatUR, MaxFragment: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 4 {
		t.Fatalf("%d parts; the test needs a transfer of several frames", len(parts))
	}
	return parts
}

// The frames of one transfer, saved as PNG files in a folder of the stick,
// open at once: first some selected by hand (not enough), then "all PNGs",
// which leaves out the folder's other files.
func TestOpenPNGFramesOfAFolder(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	parts := s.withdrawalParts(t)
	pngs, err := qr.FramePNGs(parts, qr.ImageOptions{Level: qr.Low, ModulePixels: 4})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(a.opt.ExportDir, "withdrawal 42")
	for i, p := range pngs {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("frame-%02d.png", i+1)), p)
	}
	writeFile(t, filepath.Join(dir, "README.txt"), []byte("frames of request 42"))
	writeFile(t, filepath.Join(dir, "._frame-01.png"), []byte("macOS resource fork, not a PNG"))

	tap(t, w, "Sign a withdrawal")
	tap(t, w, "Open files…")
	dialogSays(t, w, "Open files from removable media")
	tapRow(t, w, "withdrawal 42")
	dialogSays(t, w, dir)
	if contains(theDialog(t, w), "._frame-01.png") {
		t.Error("the dialog lists a hidden file")
	}
	tapRow(t, w, "frame-01.png")
	tapRow(t, w, "frame-02.png")
	tapIn(t, w, "Open selected (2)")
	wantScreen[core.Scan](t, a)
	if !contains(w.Content(), "2 files in "+dir+": 2 QR frames read") {
		t.Fatalf("after two frames the scan screen says %q", texts(w.Content()))
	}

	tap(t, w, "Open files…")
	tapRow(t, w, "withdrawal 42")
	tapIn(t, w, fmt.Sprintf("Open all PNGs in this folder (%d)", len(pngs)))
	r := wantScreen[core.Review](t, a)
	if !strings.Contains(r.Loaded.Source, "QR frames") {
		t.Errorf("review source %q, want the frames' files", r.Loaded.Source)
	}
}

// An animated GIF's frames are the transfer's frames.
func TestOpenAnimatedGIF(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	gif, err := qr.AnimatedGIF(s.withdrawalParts(t), qr.ImageOptions{Level: qr.Low, ModulePixels: 4}, 4)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(a.opt.ExportDir, "withdrawal.gif"), gif)
	tap(t, w, "Sign a withdrawal")
	tap(t, w, "Open files…")
	tapRow(t, w, "withdrawal.gif")
	tapIn(t, w, "Open selected (1)")
	r := wantScreen[core.Review](t, a)
	if !strings.Contains(r.Loaded.Source, "file withdrawal.gif") {
		t.Errorf("review source %q, want the GIF", r.Loaded.Source)
	}
}

// The stick is hostile: a link on it to / or to a file outside, "..", a
// FIFO and an oversized file reach nothing and block nothing.
func TestMediaRefusesEscapes(t *testing.T) {
	stick, _ := hostileStick(t)
	if err := syscall.Mkfifo(filepath.Join(stick, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stick, "huge.png"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(stick, "huge.png"), maxFileBytes+1); err != nil {
		t.Fatal(err)
	}
	m := openMedia([]string{stick})
	defer m.close()
	top := place{0, "."}
	sub := place{0, "sub"}

	const escapes = "a link that leads outside"
	enter := func(p place, name string) ([]byte, error) { _, err := m.enter(p, name); return nil, err }
	up := func(p place, _ string) ([]byte, error) { _, err := m.up(p); return nil, err }
	mkdir := func(p place, name string) ([]byte, error) { _, err := m.mkdir(p, name); return nil, err }
	for _, c := range []struct {
		op      string
		do      func(place, string) ([]byte, error)
		at      place
		name    string
		wantErr string
	}{
		{"enter", enter, top, "..", "not a name"},
		{"enter", enter, top, "root", escapes},
		{"enter", enter, top, "up", escapes},
		{"enter", enter, sub, "up", escapes},
		{"enter", enter, top, "sub/..", "cannot have any of /"},
		{"enter", enter, top, "passwd", escapes},
		{"enter", enter, top, "inside", ""},
		{"enter", enter, top, "sub", ""},
		{"up", up, top, "", "is the top of this medium"},
		{"up", up, sub, "", ""},
		{"mkdir", mkdir, top, "..", "not a name"},
		{"mkdir", mkdir, top, "root", "exists already"},
		{"read", m.read, top, "passwd", escapes},
		{"read", m.read, top, "secret", escapes},
		{"read", m.read, top, "../" + filepath.Base(stick) + "/sub/ok.txt", "cannot have any of /"},
		{"read", m.read, top, "fifo", "not a regular file"},
		{"read", m.read, top, "huge.png", fmt.Sprintf("larger than %d bytes", maxFileBytes)},
		{"read", m.read, top, "sub", "not a regular file"},
		{"read", m.read, sub, "ok.txt", ""},
	} {
		data, err := c.do(c.at, c.name)
		if got := errText(err); c.wantErr == "" && err != nil || !strings.Contains(got, c.wantErr) {
			t.Errorf("%s %s %q: error %q, want %q", c.op, c.at.rel, c.name, got, c.wantErr)
		}
		if c.wantErr != "" && data != nil {
			t.Errorf("%s %s %q gave %d bytes", c.op, c.at.rel, c.name, len(data))
		}
	}
	entries, _, err := m.list(top)
	if err != nil {
		t.Fatal(err)
	}
	refused := map[string]string{}
	for _, e := range entries {
		refused[e.name] = e.refused
	}
	for name, want := range map[string]string{"root": escapes, "secret": escapes, "up": escapes, "fifo": "not a regular file", "inside": "", "huge.png": ""} {
		if got := refused[name]; !strings.Contains(got, want) || want == "" && got != "" {
			t.Errorf("listing %q: refused %q, want %q", name, got, want)
		}
	}
}

// hostileStick is a stick with links that lead off it (to /, to a file
// outside, ../..), one that stays on it, and a file on it; outside holds
// a secret.
func hostileStick(t testing.TB) (stick, outside string) {
	outside = t.TempDir()
	writeFile(t, filepath.Join(outside, "secret"), []byte("outside the stick"))
	stick = t.TempDir()
	writeFile(t, filepath.Join(stick, "sub", "ok.txt"), []byte("on the stick"))
	for link, to := range map[string]string{
		"root":   "/",
		"passwd": "/etc/passwd",
		"secret": filepath.Join(outside, "secret"),
		"up":     "../..",
		"sub/up": "../../" + filepath.Base(outside),
		"inside": "sub",
	} {
		if err := os.Symlink(to, filepath.Join(stick, link)); err != nil {
			t.Fatal(err)
		}
	}
	return stick, outside
}

// FuzzMediaStaysOnStick: whatever names the operator (or a stick's own
// names) give, in whichever folder, nothing is read, entered or made
// outside the stick.
func FuzzMediaStaysOnStick(f *testing.F) {
	for _, seed := range [][2]string{{"..", ""}, {"root", "etc"}, {"up", ""}, {"sub", "up"}, {"inside", "ok.txt"},
		{"sub/../..", ""}, {"passwd", ""}, {"secret", ""}, {"/etc", ""}, {"sub", ".."}, {"a\\..", "x"}, {"inside", "new"}} {
		f.Add(seed[0], seed[1])
	}
	stick, _ := hostileStick(f)
	realStick, err := filepath.EvalSymlinks(stick)
	if err != nil {
		f.Fatal(err)
	}
	m := openMedia([]string{stick})
	f.Cleanup(m.close)
	onStick := func(p place) bool {
		real, err := filepath.EvalSymlinks(m.show(p))
		if err != nil {
			return true // it does not exist: nothing was reached
		}
		rel, err := filepath.Rel(realStick, real)
		return err == nil && (rel == "." || filepath.IsLocal(rel))
	}
	f.Fuzz(func(t *testing.T, first, second string) {
		at := place{0, "."}
		if p, err := m.enter(at, first); err == nil {
			if !onStick(p) {
				t.Fatalf("entered %q: %s is off the stick", first, m.show(p))
			}
			at = p
		}
		if data, err := m.read(at, second); err == nil && bytes.Contains(data, []byte("outside")) {
			t.Fatalf("read %q/%q: the secret outside the stick", first, second)
		}
		if p, err := m.enter(at, second); err == nil && !onStick(p) {
			t.Fatalf("entered %q/%q: %s is off the stick", first, second, m.show(p))
		}
		if p, err := m.mkdir(at, second); err == nil {
			if !onStick(p) {
				t.Fatalf("made %q/%q: %s is off the stick", first, second, m.show(p))
			}
			if err := os.Remove(m.show(p)); err != nil {
				t.Fatal(err)
			}
		}
		if dir, err := m.dir(at); err == nil && !strings.HasPrefix(dir, realStick) {
			t.Fatalf("save folder %s is off the stick", dir)
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// In the window: a link to / is shown as refused and not entered, and Up
// is offered inside a folder of the stick only.
func TestDialogStaysOnTheStick(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	stick := a.opt.ExportDir
	if err := os.Symlink("/", filepath.Join(stick, "root")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(stick, "sub", "x.psbt"), []byte("x"))
	tap(t, w, "Sign a withdrawal")
	tap(t, w, "Open files…")
	up := find(theDialog(t, w), func(b *widget.Button) bool { return b.Text == "Up" })
	if !up.Disabled() {
		t.Error("Up is offered at the top of the stick")
	}
	tapRow(t, w, "root")
	dialogSays(t, w, "root: a link that leads outside")
	if got := theBrowserPath(t, w).Text; got != stick {
		t.Errorf("after tapping the link the dialog is at %q, want %q", got, stick)
	}
	tapRow(t, w, "sub")
	tapIn(t, w, "Up")
	if got := theBrowserPath(t, w).Text; got != stick {
		t.Errorf("Up from sub went to %q, want %q", got, stick)
	}
	if find(theDialog(t, w), func(r *mediaRow) bool { return r.name.Text == "etc" }) != nil {
		t.Error("the dialog lists / through the link")
	}
	// Esc closes the dialog and leaves the screen behind it as it was.
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if top := w.Canvas().Overlays().Top(); top != nil {
		t.Error("Esc left the dialog open")
	}
	wantScreen[core.Scan](t, a)
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	wantScreen[core.Start](t, a)
}

// theBrowserPath is the dialog's label of the folder shown.
func theBrowserPath(t *testing.T, w fyne.Window) *widget.Label {
	t.Helper()
	l := find(theDialog(t, w), func(l *widget.Label) bool { return l.TextStyle.Monospace })
	if l == nil {
		t.Fatal("the dialog shows no folder")
	}
	return l
}

// Saving the signed PSBT: the dialog says Save, a new folder is made and
// entered, and the files go into it under the name typed.
func TestSaveIntoNewFolder(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	signed := s.signThroughTheWindow(t, a, w)
	tap(t, w, "Save to removable media…")
	dialogSays(t, w, "Save the signed PSBT and its QR frames")
	for _, text := range texts(theDialog(t, w)) {
		if strings.Contains(text, "Open") {
			t.Errorf("the save dialog says %q", text)
		}
	}
	tapIn(t, w, "New folder…")
	entry := find(theDialog(t, w), func(e *widget.Entry) bool { return e.PlaceHolder == "name of the new folder" })
	test.Type(entry, "request 42")
	tapIn(t, w, "Create folder")
	dir := filepath.Join(a.opt.ExportDir, "request 42")
	if got := theBrowserPath(t, w).Text; got != dir {
		t.Fatalf("after New folder the dialog is at %q, want %q", got, dir)
	}
	name := find(theDialog(t, w), func(e *widget.Entry) bool { return strings.HasPrefix(e.Text, "signed-") })
	name.SetText("treasury-42")
	tapIn(t, w, "Save")
	got, err := os.ReadFile(filepath.Join(dir, "treasury-42.psbt"))
	if err != nil || string(got) != string(signed.PSBT) {
		t.Fatalf("the saved PSBT: %v (%d bytes, signed %d)", err, len(got), len(signed.PSBT))
	}
	if _, err := os.Stat(filepath.Join(dir, "treasury-42-frame-01.png")); err != nil {
		t.Error(err)
	}
	if !contains(w.Content(), "saved treasury-42.psbt and") {
		t.Errorf("the signed screen says %q", texts(w.Content()))
	}
}

// A long file name is shown whole, wrapped, not cut short.
func TestDialogShowsFullNames(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	long := "withdrawal-request-2026-11-25-treasury-payroll-batch-0042-to-the-exchange-cold-storage-" +
		"and-the-two-suppliers-of-november-approved-by-alice-and-bob-unsigned-frame-0017-of-0095.png"
	writeFile(t, filepath.Join(a.opt.ExportDir, long), []byte("x"))
	tap(t, w, "Sign a withdrawal")
	tap(t, w, "Open files…")
	r := row(t, w, long)
	var shown strings.Builder
	lines := 0
	walk(r.name, func(o fyne.CanvasObject) {
		if t, ok := o.(*canvas.Text); ok {
			shown.WriteString(t.Text)
			lines++
		}
	})
	if shown.String() != long {
		t.Errorf("the row shows %q, want %q", shown.String(), long)
	}
	if lines < 2 {
		t.Errorf("the long name is on %d line; want it wrapped", lines)
	}
}
