package camera

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Device is a local video device and what it delivers by default.
type Device struct {
	Index  int
	Path   string // /dev/videoN
	Name   string // the driver's name for it, when the system says
	Format Format // what it delivers when opened with no request
	Err    error  // why it could not be opened (busy, metadata-only node, no permission)
}

// ListDevices finds the video devices (/dev/video*) in index order and
// opens each briefly to see what it delivers. An empty list means there is
// no video device at all.
func ListDevices() []Device {
	return listDevices("/dev", "/sys/class/video4linux")
}

func listDevices(devDir, sysDir string) []Device {
	paths, _ := filepath.Glob(filepath.Join(devDir, "video*"))
	var devs []Device
	for _, p := range paths {
		n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), "video"))
		if err != nil {
			continue
		}
		d := Device{Index: n, Path: p}
		if b, err := os.ReadFile(filepath.Join(sysDir, filepath.Base(p), "name")); err == nil {
			d.Name = strings.TrimSpace(string(b))
		}
		fs, err := openWebcam(n, Options{})
		if err != nil {
			d.Err = err
		} else {
			d.Format = fs.format()
			fs.close()
		}
		devs = append(devs, d)
	}
	sort.Slice(devs, func(i, j int) bool { return devs[i].Index < devs[j].Index })
	return devs
}
