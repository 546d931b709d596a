package camera

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/blackjack/webcam"
)

func TestOpenV4L2NoCamera(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "video0")
	file := filepath.Join(dir, "frame.png")
	if err := os.WriteFile(file, []byte("not a device"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		device, want string
	}{
		{missing, "no camera at " + missing + ": connect one, or choose images from removable media"},
		{file, "no camera at " + file + " (it is not a device): connect one, or choose images from removable media"},
		{"/dev/null", "no camera at /dev/null (it is not a V4L2 video device): connect one, or choose images from removable media"},
	} {
		src, err := OpenV4L2(tt.device, 0, 0)
		if err == nil {
			src.Close()
			t.Errorf("OpenV4L2(%s) succeeded", tt.device)
			continue
		}
		if !errors.Is(err, ErrNoCamera) || err.Error() != tt.want {
			t.Errorf("OpenV4L2(%s):\ngot  %v\nwant %s", tt.device, err, tt.want)
		}
	}
}

func TestChooseSize(t *testing.T) {
	discrete := func(w, h uint32) webcam.FrameSize {
		return webcam.FrameSize{MinWidth: w, MaxWidth: w, MinHeight: h, MaxHeight: h}
	}
	for _, tt := range []struct {
		name   string
		sizes  []webcam.FrameSize
		w, h   int
		ok     bool
		gw, gh int
	}{
		{"exact", []webcam.FrameSize{discrete(640, 480), discrete(1280, 720), discrete(1920, 1080)}, 1280, 720, true, 1280, 720},
		{"nearest in pixels", []webcam.FrameSize{discrete(1920, 1080), discrete(640, 480)}, 1280, 720, true, 640, 480},
		{"tie prefers larger", []webcam.FrameSize{discrete(100, 100), discrete(300, 100)}, 200, 100, true, 300, 100},
		{"stepwise", []webcam.FrameSize{{MinWidth: 160, MaxWidth: 4096, StepWidth: 16, MinHeight: 120, MaxHeight: 2160, StepHeight: 8}}, 1280, 720, true, 1280, 720},
		{"stepwise off grid", []webcam.FrameSize{{MinWidth: 150, MaxWidth: 4000, StepWidth: 100, MinHeight: 100, MaxHeight: 600, StepHeight: 50}}, 1280, 720, true, 1250, 600},
		{"over the limits", []webcam.FrameSize{discrete(10000, 10000)}, 1280, 720, false, 0, 0},
		{"limits skip the largest", []webcam.FrameSize{discrete(9000, 5000), discrete(320, 240)}, 9000, 5000, true, 320, 240},
		{"not enumerated", nil, 1280, 720, true, 1280, 720},
		{"continuous", []webcam.FrameSize{{}}, 800, 600, true, 800, 600},
	} {
		gw, gh, ok := chooseSize(tt.sizes, tt.w, tt.h)
		if ok != tt.ok || gw != tt.gw || gh != tt.gh {
			t.Errorf("%s: got %dx%d %v, want %dx%d %v", tt.name, gw, gh, ok, tt.gw, tt.gh, tt.ok)
		}
	}
}

func TestFormatName(t *testing.T) {
	for f, want := range map[webcam.PixelFormat]string{pixYUYV: "YUYV", pixGREY: "GREY", pixMJPG: "MJPG"} {
		if got := formatName(f); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if pixYUYV != 0x56595559 {
		t.Errorf("pixYUYV is %#x, want V4L2_PIX_FMT_YUYV, 0x56595559", uint32(pixYUYV))
	}
}
