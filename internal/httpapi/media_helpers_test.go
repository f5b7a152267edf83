package httpapi_test

// Generated media and multipart forms, for the tests that upload files.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"maps"
	"math/rand/v2"
	"mime/multipart"
	"net/textproto"
	"slices"
	"testing"
)

// formFile is a file part of a multipart form.
type formFile struct {
	field, name, contentType string
	data                     []byte
}

// multipartForm encodes a multipart form of text fields (in key order) and
// files; it returns the body and its Content-Type.
func multipartForm(t testing.TB, fields map[string]string, files ...formFile) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if err := w.WriteField(k, fields[k]); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		pw, err := w.CreatePart(filePartHeader(f.field, f.name, f.contentType))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

// filePartHeader is the part header of a file field; an empty contentType
// is sent as application/octet-stream.
func filePartHeader(field, name, contentType string) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, name))
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	h.Set("Content-Type", contentType)
	return h
}

// multipartStream streams, through a pipe, a multipart form of text fields
// (in key order) and one file whose content is read from content as the
// reader is read; it returns the reader and its Content-Type. An error of
// content, or of the reader's side closing, ends the form with that error.
func multipartStream(fields map[string]string, file formFile, content io.Reader) (*io.PipeReader, string) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for _, k := range slices.Sorted(maps.Keys(fields)) {
				if err := mw.WriteField(k, fields[k]); err != nil {
					return err
				}
			}
			part, err := mw.CreatePart(filePartHeader(file.field, file.name, file.contentType))
			if err != nil {
				return err
			}
			if _, err := io.CopyBuffer(part, content, make([]byte, 64<<10)); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	return pr, mw.FormDataContentType()
}

// stalledReader blocks until done is closed and then fails: an upload that
// never ends while a test waits.
type stalledReader struct{ done <-chan struct{} }

func (r stalledReader) Read([]byte) (int, error) {
	<-r.done
	return 0, io.ErrUnexpectedEOF
}

// pngImage returns a w×h PNG; noisy pixels make it compress badly, so its
// size grows with the area.
func pngImage(t testing.TB, w, h int, noisy bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			c := color.NRGBA{R: uint8(x), G: uint8(y), B: 200, A: 255}
			if noisy {
				c = color.NRGBA{R: uint8(rng.Uint32()), G: uint8(rng.Uint32()), B: uint8(rng.Uint32()), A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mp4Box returns an ISO BMFF box with a 32-bit size.
func mp4Box(typ string, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	b = append(b, typ...)
	return append(b, body...)
}

// mp4Ftyp is the ftyp box of an MP4 (major brand isom).
func mp4Ftyp() []byte {
	return mp4Box("ftyp", []byte("isom"), binary.BigEndian.AppendUint32(nil, 0x200), []byte("isomiso2avc1mp41"))
}

// mp4Moov is a moov box holding a version-0 mvhd of duration seconds
// (timescale 1000).
func mp4Moov(seconds float64) []byte {
	p := []byte{0, 0, 0, 0}
	p = binary.BigEndian.AppendUint32(p, 1) // creation
	p = binary.BigEndian.AppendUint32(p, 2) // modification
	p = binary.BigEndian.AppendUint32(p, 1000)
	p = binary.BigEndian.AppendUint32(p, uint32(seconds*1000))
	p = append(p, make([]byte, 80)...) // rate, volume, matrix, next track id
	return mp4Box("moov", mp4Box("mvhd", p))
}

// mp4File returns an MP4 file: ftyp, an mdat of mdatSize patterned bytes,
// and moov/mvhd with the duration.
func mp4File(seconds float64, mdatSize int) []byte {
	mdat := make([]byte, mdatSize)
	for i := range mdat {
		mdat[i] = byte(i * 7)
	}
	return slices.Concat(mp4Ftyp(), mp4Box("mdat", mdat), mp4Moov(seconds))
}

// mp4Stream generates an MP4 on the fly: ftyp, an mdat of mdatSize zero
// bytes and moov/mvhd with the duration at the end. It returns the reader and
// the exact size.
func mp4Stream(seconds float64, mdatSize int64) (io.Reader, int64) {
	head := mp4Ftyp()
	head = binary.BigEndian.AppendUint32(head, uint32(8+mdatSize))
	head = append(head, "mdat"...)
	moov := mp4Moov(seconds)
	return io.MultiReader(bytes.NewReader(head), io.LimitReader(zeroReader{}, mdatSize), bytes.NewReader(moov)),
		int64(len(head)) + mdatSize + int64(len(moov))
}

// zeroReader reads as an endless run of zero bytes.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
