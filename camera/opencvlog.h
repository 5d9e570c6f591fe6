#ifdef __cplusplus
extern "C" {
#endif
void hcscan_opencv_silence(void);
#ifdef __cplusplus
}
#endif
