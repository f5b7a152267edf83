package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"testing"
)

// box returns an ISO BMFF box with a 32-bit size.
func box(typ string, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	b = append(b, typ...)
	return append(b, body...)
}

// ftyp returns an ftyp box with the given major and compatible brands.
func ftyp(major string, compatible ...string) []byte {
	p := []byte(major)
	p = binary.BigEndian.AppendUint32(p, 0x200)
	for _, c := range compatible {
		p = append(p, c...)
	}
	return box("ftyp", p)
}

// mvhd returns an mvhd box of the given version.
func mvhd(version byte, timescale uint32, duration uint64) []byte {
	p := []byte{version, 0, 0, 0}
	if version == 1 {
		p = binary.BigEndian.AppendUint64(p, 1) // creation
		p = binary.BigEndian.AppendUint64(p, 2) // modification
		p = binary.BigEndian.AppendUint32(p, timescale)
		p = binary.BigEndian.AppendUint64(p, duration)
	} else {
		p = binary.BigEndian.AppendUint32(p, 1)
		p = binary.BigEndian.AppendUint32(p, 2)
		p = binary.BigEndian.AppendUint32(p, timescale)
		p = binary.BigEndian.AppendUint32(p, uint32(duration))
	}
	p = append(p, make([]byte, 80)...) // rate, volume, matrix, next track id…
	return box("mvhd", p)
}

// moov returns a moov box holding a trak-like filler and then mvhd, so the
// search has to skip a sibling.
func moov(version byte, timescale uint32, duration uint64) []byte {
	return box("moov", box("udta", make([]byte, 20)), mvhd(version, timescale, duration))
}

// largeHeader returns the 16-byte header of a box with a 64-bit size.
func largeHeader(typ string, payloadSize int64) []byte {
	b := binary.BigEndian.AppendUint32(nil, 1)
	b = append(b, typ...)
	return binary.BigEndian.AppendUint64(b, uint64(16+payloadSize))
}

// mp4Stream returns a generated MP4 of ftyp, an mdat (64-bit size) with
// mdatSize zero bytes, then moov at the end, and its total size.
func mp4Stream(major string, mdatSize int64, moovBox []byte) (io.Reader, int64) {
	head := append(ftyp(major, "isom", "mp41"), largeHeader("mdat", mdatSize)...)
	r := io.MultiReader(bytes.NewReader(head), io.LimitReader(zeros{}, mdatSize), bytes.NewReader(moovBox))
	return r, int64(len(head)) + mdatSize + int64(len(moovBox))
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// ebml returns an EBML element with a 1-byte-or-8-byte size.
func ebml(id uint64, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	var b []byte
	for shift := 24; shift >= 0; shift -= 8 {
		if c := byte(id >> shift); c != 0 || len(b) > 0 {
			b = append(b, c)
		}
	}
	if len(body) < 0x7F {
		b = append(b, 0x80|byte(len(body)))
	} else {
		b = binary.BigEndian.AppendUint64(b, uint64(len(body))|1<<56) // 8-byte size
	}
	return append(b, body...)
}

// ebmlHeader returns an EBML header with the given DocType.
func ebmlHeader(docType string) []byte {
	return ebml(ebmlHeaderID,
		ebml(0x4286, []byte{1}), // EBMLVersion
		ebml(0x42F7, []byte{1}), // EBMLReadVersion
		ebml(ebmlDocTypeID, []byte(docType)),
		ebml(0x4287, []byte{4}), // DocTypeVersion
	)
}

// webmFile returns a WebM file whose Info has the given timecode scale and
// duration (float64 when wide, else float32), with a SeekHead before Info
// and a Cluster after it.
func webmFile(scale uint64, duration float64, wide bool) []byte {
	var d []byte
	if wide {
		d = binary.BigEndian.AppendUint64(nil, math.Float64bits(duration))
	} else {
		d = binary.BigEndian.AppendUint32(nil, math.Float32bits(float32(duration)))
	}
	info := ebml(ebmlInfoID,
		ebml(ebmlTimescaleID, binary.BigEndian.AppendUint32(nil, uint32(scale))),
		ebml(0x4D80, []byte("test")), // MuxingApp
		ebml(ebmlDurationID, d),
	)
	seg := ebml(ebmlSegmentID,
		ebml(0x114D9B74, make([]byte, 30)), // SeekHead
		info,
		ebml(ebmlClusterID, make([]byte, 200)),
	)
	return append(ebmlHeader("webm"), seg...)
}

// pngBytes, jpegBytes and gifBytes encode a tiny real image.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, tinyImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, tinyImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gifBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, tinyImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tinyImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	return img
}

// webpBytes returns a real 1×1 lossless WebP.
func webpBytes() []byte {
	return []byte{
		0x52, 0x49, 0x46, 0x46, 0x1a, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50,
		0x56, 0x50, 0x38, 0x4c, 0x0d, 0x00, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x00,
		0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00,
	}
}

// testStore is a Store over a Local backend in fresh directories.
type testStore struct {
	*Store
	dataDir, tempDir string
	logs             *bytes.Buffer
}

// newTestStore returns a local Store with small caps; cfg overrides.
func newTestStore(t *testing.T, cfg Config) testStore {
	t.Helper()
	root := t.TempDir()
	dataDir, tempDir := root+"/data", root+"/tmp"
	if err := os.Mkdir(tempDir, 0o700); err != nil {
		t.Fatal(err)
	}
	local, err := NewLocal(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	cfg.TempDir = tempDir
	if cfg.SigningKey == nil {
		cfg.SigningKey = []byte("test-signing-key-0123456789abcdef")
	}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	return testStore{Store: NewStore(local, cfg), dataDir: dataDir, tempDir: tempDir, logs: logs}
}

// assertNoFiles fails when any regular file exists under dir.
func assertNoFiles(t *testing.T, dir string) {
	t.Helper()
	root := os.DirFS(dir)
	var found []string
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			found = append(found, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Errorf("%s holds files %v, want none", dir, found)
	}
}
