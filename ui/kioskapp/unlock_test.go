package kioskapp

import (
	"crypto/rand"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"airsign/offline/home"
)

// A station whose device key is sealed starts on the unlock screen: a
// wrong passphrase says so and asks again, the right one opens the home
// and starts the station. The typed text does not stay in the box.
func TestUnlockSealedStation(t *testing.T) {
	dir := t.TempDir()
	pass := []byte("correct horse battery staple")
	sealed, err := home.InitWith(dir, rand.Reader, t0, home.Options{Passphrase: pass, KDF: home.KDFParams{Time: 1, Memory: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := home.Open(dir); err == nil {
		t.Fatal("a sealed home opened without its passphrase")
	}
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1280, 800))
	var opened *home.Home
	started := false
	Unlock(w, func(p []byte) error {
		var err error
		opened, err = home.OpenWith(dir, home.Options{Passphrase: p})
		return err
	}, func() { started = true })
	var box *widget.Entry
	walk(w.Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && e.Password {
			box = e
		}
	})
	if box == nil {
		t.Fatalf("no passphrase box: %q", texts(w.Content()))
	}
	test.Type(box, "correct horse battery stable")
	tap(t, w, "Unlock")
	if started || !contains(w.Content(), "That passphrase does not open the device key") {
		t.Fatalf("a wrong passphrase: started %v, screen %q", started, texts(w.Content()))
	}
	if box.Text != "" {
		t.Fatal("the passphrase stayed in the box after the try")
	}
	test.Type(box, string(pass))
	box.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !started || opened == nil || opened.KeyID() != sealed.KeyID() {
		t.Fatalf("the right passphrase: started %v, home %v", started, opened)
	}
}
