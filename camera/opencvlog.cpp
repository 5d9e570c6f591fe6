// OpenCV reads OPENCV_LOG_LEVEL once, possibly before the Go program can
// set it, so the level is also set here, through OpenCV's own API.
#include <opencv2/core/utils/logger.hpp>
#include "opencvlog.h"

void hcscan_opencv_silence(void) {
	cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
}
