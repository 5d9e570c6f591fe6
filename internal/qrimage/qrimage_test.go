package qrimage

import (
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

func TestRenderDecodes(t *testing.T) {
	const text = "HCN1:6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N IOP-IA%NFQGRJPC%OQHIZC4.OI1RM8ZA.A5:S9MKN02.0UTR5.*8"
	img, err := Render(text, 3)
	if err != nil {
		t.Fatal(err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil || res.GetText() != text {
		t.Fatalf("decoded %v, %v", res, err)
	}
	if img.Bounds().Dx()%3 != 0 {
		t.Errorf("width %d is not a multiple of the scale", img.Bounds().Dx())
	}
}
