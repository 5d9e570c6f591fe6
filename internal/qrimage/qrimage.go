// Package qrimage renders text as a QR code image with gozxing, for issuing
// test codes, the demo video and the camera tests.
package qrimage

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Render draws text as a QR code at error-correction level M with a
// four-module quiet zone; each module is scale pixels wide.
func Render(text string, scale int) (*image.Gray, error) {
	if scale < 1 {
		scale = 1
	}
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: "M",
		gozxing.EncodeHintType_MARGIN:           4,
	}
	// Width 0 gives one pixel per module; scaling here keeps edges sharp.
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		return nil, fmt.Errorf("render QR: %w", err)
	}
	w, h := m.GetWidth(), m.GetHeight()
	img := image.NewGray(image.Rect(0, 0, w*scale, h*scale))
	for y := 0; y < h*scale; y++ {
		for x := 0; x < w*scale; x++ {
			c := color.Gray{Y: 255}
			if m.Get(x/scale, y/scale) {
				c.Y = 0
			}
			img.SetGray(x, y, c)
		}
	}
	return img, nil
}

// WritePNG renders text and writes it to path.
func WritePNG(path, text string, scale int) error {
	img, err := Render(text, scale)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
