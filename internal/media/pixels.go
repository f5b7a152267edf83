package media

import (
	"encoding/binary"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
)

// errNoImageHeader says an image's header could not be read.
var errNoImageHeader = errors.New("unreadable image header")

// imagePixels returns width × height as an image's header states it,
// reading only the header: nothing is decoded. head holds the leading bytes
// (enough for WebP), r reads the whole file from its start.
func imagePixels(ext string, head []byte, r io.Reader) (int64, error) {
	var cfg image.Config
	var err error
	switch ext {
	case "png":
		cfg, err = png.DecodeConfig(r)
	case "jpg":
		cfg, err = jpeg.DecodeConfig(r)
	case "gif":
		cfg, err = gif.DecodeConfig(r)
	case "webp":
		cfg, err = webpConfig(head)
	default:
		return 0, errNoImageHeader
	}
	if err != nil {
		return 0, errors.Join(errNoImageHeader, err)
	}
	return int64(cfg.Width) * int64(cfg.Height), nil
}

// webpConfig reads the canvas size from a WebP's first chunk (VP8, VP8L or
// VP8X), which follows the 12-byte RIFF header.
func webpConfig(b []byte) (image.Config, error) {
	if len(b) < 30 {
		return image.Config{}, errNoImageHeader
	}
	d := b[20:] // the first chunk's payload
	var w, h int
	switch string(b[12:16]) {
	case "VP8 ": // lossy: frame tag (3 bytes), start code 9d 01 2a, 14-bit sizes
		if d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a {
			return image.Config{}, errNoImageHeader
		}
		w = int(binary.LittleEndian.Uint16(d[6:8]) & 0x3fff)
		h = int(binary.LittleEndian.Uint16(d[8:10]) & 0x3fff)
	case "VP8L": // lossless: signature 0x2f, then 14 bits each of width-1, height-1
		if d[0] != 0x2f {
			return image.Config{}, errNoImageHeader
		}
		bits := binary.LittleEndian.Uint32(d[1:5])
		w = int(bits&0x3fff) + 1
		h = int(bits>>14&0x3fff) + 1
	case "VP8X": // extended: flags (4 bytes), then 24 bits each of width-1, height-1
		w = int(uint32(d[4])|uint32(d[5])<<8|uint32(d[6])<<16) + 1
		h = int(uint32(d[7])|uint32(d[8])<<8|uint32(d[9])<<16) + 1
	default:
		return image.Config{}, errNoImageHeader
	}
	return image.Config{Width: w, Height: h}, nil
}
