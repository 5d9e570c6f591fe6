package camera

/*
#cgo !windows pkg-config: opencv4
#cgo CXXFLAGS: --std=c++11
#include "opencvlog.h"
*/
import "C"

// silenceOpenCVLog sets OpenCV's log level to silent through its API: the
// environment variable alone is read too early to be set from Go.
func silenceOpenCVLog() { C.hcscan_opencv_silence() }
