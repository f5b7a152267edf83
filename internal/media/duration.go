package media

import (
	"encoding/binary"
	"io"
	"math"
)

// maxBoxes bounds how many boxes or elements a duration scan visits, so that
// a garbage file cannot keep it busy.
const maxBoxes = 1 << 16

// videoDuration reads the duration in seconds from the metadata of the video
// in r (size bytes, format given by its stored extension). It returns 0 when
// the file does not say or cannot be parsed; it never fails.
func videoDuration(r io.ReaderAt, size int64, ext string) float64 {
	var d float64
	switch ext {
	case "mp4", "mov":
		d = mp4Duration(r, size)
	case "webm":
		d = webmDuration(r, size)
	}
	if math.IsNaN(d) || math.IsInf(d, 0) || d < 0 {
		return 0
	}
	return d
}

// mp4Duration walks the top-level boxes of an MP4 or QuickTime file to
// moov → mvhd and returns duration/timescale. It seeks past every other box
// (a huge mdat before moov costs nothing) and understands 64-bit largesize
// and size 0 (box runs to the end of the file).
func mp4Duration(r io.ReaderAt, size int64) float64 {
	start, end, ok := findBox(r, 0, size, "moov")
	if !ok {
		return 0
	}
	start, end, ok = findBox(r, start, end, "mvhd")
	if !ok {
		return 0
	}
	// version(1) flags(3), then v0: creation(4) modification(4)
	// timescale(4) duration(4); v1: creation(8) modification(8)
	// timescale(4) duration(8).
	var b [32]byte
	n := min(int64(len(b)), end-start)
	if _, err := r.ReadAt(b[:n], start); err != nil && err != io.EOF {
		return 0
	}
	var timescale, duration uint64
	switch b[0] {
	case 0:
		if n < 20 {
			return 0
		}
		timescale = uint64(binary.BigEndian.Uint32(b[12:16]))
		duration = uint64(binary.BigEndian.Uint32(b[16:20]))
		if duration == math.MaxUint32 {
			return 0
		}
	case 1:
		if n < 32 {
			return 0
		}
		timescale = uint64(binary.BigEndian.Uint32(b[20:24]))
		duration = binary.BigEndian.Uint64(b[24:32])
		if duration == math.MaxUint64 {
			return 0
		}
	default:
		return 0
	}
	if timescale == 0 {
		return 0
	}
	return float64(duration) / float64(timescale)
}

// findBox scans the boxes laid end to end in [off, end) for the first of
// type typ and returns the bounds of its payload.
func findBox(r io.ReaderAt, off, end int64, typ string) (start, stop int64, ok bool) {
	var h [16]byte
	for range maxBoxes {
		if end-off < 8 {
			return 0, 0, false
		}
		if _, err := r.ReadAt(h[:8], off); err != nil {
			return 0, 0, false
		}
		size := int64(binary.BigEndian.Uint32(h[0:4]))
		header := int64(8)
		switch size {
		case 0: // the box runs to the end of its container
			size = end - off
		case 1: // 64-bit largesize follows the type
			if end-off < 16 {
				return 0, 0, false
			}
			if _, err := r.ReadAt(h[8:16], off+8); err != nil {
				return 0, 0, false
			}
			large := binary.BigEndian.Uint64(h[8:16])
			if large > math.MaxInt64 {
				return 0, 0, false
			}
			size, header = int64(large), 16
		}
		if size < header || size > end-off {
			return 0, 0, false
		}
		if string(h[4:8]) == typ {
			return off + header, off + size, true
		}
		off += size
	}
	return 0, 0, false
}

// webmDuration walks a WebM file's EBML Segment to Info and returns
// Duration × TimecodeScale in seconds. Elements of unknown size other than
// the Segment, or reaching a Cluster before Info, end the search with 0.
func webmDuration(r io.ReaderAt, size int64) float64 {
	off := int64(0)
	for range maxBoxes {
		id, dataOff, dataSize, unknown, ok := readElementHeader(r, off, size)
		if !ok {
			return 0
		}
		switch {
		case id == ebmlSegmentID:
			end := size
			if !unknown {
				end = min(dataOff+dataSize, size)
			}
			return segmentDuration(r, dataOff, end)
		case unknown:
			return 0
		}
		off = dataOff + dataSize
	}
	return 0
}

// segmentDuration looks for Info among the Segment children in [off, end).
func segmentDuration(r io.ReaderAt, off, end int64) float64 {
	for range maxBoxes {
		id, dataOff, dataSize, unknown, ok := readElementHeader(r, off, end)
		if !ok || unknown || id == ebmlClusterID {
			return 0
		}
		if id == ebmlInfoID {
			return infoDuration(r, dataOff, min(dataOff+dataSize, end))
		}
		off = dataOff + dataSize
	}
	return 0
}

// infoDuration reads TimecodeScale (default 1 ms) and Duration from the
// Info element's payload [off, end).
func infoDuration(r io.ReaderAt, off, end int64) float64 {
	scale := uint64(1_000_000)
	duration := -1.0
	var b [8]byte
	for range maxBoxes {
		id, dataOff, dataSize, unknown, ok := readElementHeader(r, off, end)
		if !ok || unknown {
			break
		}
		if (id == ebmlTimescaleID || id == ebmlDurationID) && dataSize <= 8 {
			v := b[:dataSize]
			if _, err := r.ReadAt(v, dataOff); err != nil {
				return 0
			}
			switch {
			case id == ebmlTimescaleID:
				var u uint64
				for _, c := range v {
					u = u<<8 | uint64(c)
				}
				if u > 0 {
					scale = u
				}
			case dataSize == 4:
				duration = float64(math.Float32frombits(binary.BigEndian.Uint32(v)))
			case dataSize == 8:
				duration = math.Float64frombits(binary.BigEndian.Uint64(v))
			}
		}
		off = dataOff + dataSize
	}
	if duration <= 0 {
		return 0
	}
	return duration * float64(scale) / 1e9
}

// readElementHeader reads the ID and size of the EBML element at off, which
// must lie within [off, end). It reports where the element's data starts,
// its size (clamped to end when unknown) and whether the size was unknown.
func readElementHeader(r io.ReaderAt, off, end int64) (id uint64, dataOff, dataSize int64, unknown, ok bool) {
	if off < 0 || end-off < 2 {
		return 0, 0, 0, false, false
	}
	var h [ebmlMaxHeaderLen]byte
	n, err := r.ReadAt(h[:min(int64(len(h)), end-off)], off)
	if n == 0 || (err != nil && err != io.EOF) {
		return 0, 0, 0, false, false
	}
	b := h[:n]
	id, idLen, ok := readVint(b, true)
	if !ok || idLen > ebmlMaxIDLen {
		return 0, 0, 0, false, false
	}
	size, sizeLen, ok := readVint(b[idLen:], false)
	if !ok {
		return 0, 0, 0, false, false
	}
	dataOff = off + int64(idLen+sizeLen)
	if unknownSize(size, sizeLen) {
		return id, dataOff, end - dataOff, true, true
	}
	if size > uint64(end-dataOff) {
		return 0, 0, 0, false, false
	}
	return id, dataOff, int64(size), false, true
}
