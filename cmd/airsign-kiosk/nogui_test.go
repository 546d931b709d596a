package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The nogui build (make demo's) links no GUI toolkit and says so when the
// app is asked for; the other commands are the same code.
func TestNoGUIBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds airsign-kiosk")
	}
	deps, err := exec.Command("go", "list", "-tags", "nogui", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(deps), "fyne.io/") {
		t.Error("airsign-kiosk built with -tags nogui still links fyne")
	}
	bin := filepath.Join(t.TempDir(), "airsign-kiosk")
	if out, err := exec.Command("go", "build", "-tags", "nogui", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags nogui: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--home", t.TempDir(), "app")
	cmd.Env = append(os.Environ(), "DISPLAY=:99")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "built without its app (-tags nogui)") {
		t.Errorf("nogui app: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "--home", filepath.Join(t.TempDir(), "h"), "init").CombinedOutput(); err != nil {
		t.Errorf("nogui init: %v\n%s", err, out)
	}
}
