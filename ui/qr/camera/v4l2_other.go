//go:build !linux

package camera

import "fmt"

// OpenV4L2 reports that this build has no camera support: cameras are read
// through Linux V4L2 only.
func OpenV4L2(device string, width, height int) (Source, error) {
	return nil, fmt.Errorf("%w at %s (this build reads cameras through Linux V4L2 only): choose images from removable media", ErrNoCamera, device)
}
