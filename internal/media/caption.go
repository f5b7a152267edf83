package media

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/lms-backend/lms/internal/apperr"
)

// ErrMalformedCaptions refuses a text file that is neither WebVTT nor SRT.
var ErrMalformedCaptions = apperr.New(apperr.Invalid, "malformed_captions", "Caption file is not valid WebVTT or SRT")

// Cue timings: WebVTT's [hh:]mm:ss.ttt and SRT's hh:mm:ss,ttt (many SRT
// writers use a dot too), start --> end, then WebVTT cue settings.
var (
	vttTime    = `(?:(\d{2,3}):)?([0-5]\d):([0-5]\d)\.(\d{3})`
	srtTime    = `(\d{1,2}):([0-5]\d):([0-5]\d)[,.](\d{3})`
	vttTiming  = regexp.MustCompile(`^` + vttTime + `[ \t]+-->[ \t]+` + vttTime + `(?:[ \t]+\S.*)?$`)
	srtTiming  = regexp.MustCompile(`^` + srtTime + `[ \t]*-->[ \t]*` + srtTime + `(?:[ \t]+\S.*)?$`)
	vttHeader  = regexp.MustCompile(`^WEBVTT(?:[ \t].*)?$`)
	srtCounter = regexp.MustCompile(`^\d+$`)
)

// ToWebVTT checks that data is a caption file, WebVTT or SRT, in UTF-8
// text, and returns it as WebVTT: a WebVTT file as it came (without a byte
// order mark or blank lines before its header, with \n line ends), an SRT
// file converted. Binary data is
// ErrUnsupportedType; text that does not parse, or has no cue, is
// ErrMalformedCaptions.
func ToWebVTT(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if !isText(data) {
		return nil, ErrUnsupportedType
	}
	text := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n")
	blocks := splitBlocks(text)
	if len(blocks) > 0 && vttHeader.MatchString(blocks[0][0]) {
		if err := checkWebVTT(blocks[1:]); err != nil {
			return nil, err
		}
		// From the header on: players refuse a file that does not start
		// with it, and splitBlocks skipped any blank lines before it.
		text = text[strings.Index(text, blocks[0][0]):]
		return []byte(strings.TrimRight(text, "\n") + "\n"), nil
	}
	return srtToWebVTT(blocks)
}

// isText reports whether data is UTF-8 text without control characters
// other than tab, line feed and carriage return.
func isText(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	for _, c := range data {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7F {
			return false
		}
	}
	return true
}

// splitBlocks splits text into blocks separated by blank lines, each a list
// of lines.
func splitBlocks(text string) [][]string {
	var blocks [][]string
	var cur []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.TrimSpace(line) == "" {
			if cur != nil {
				blocks = append(blocks, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, line)
	}
	if cur != nil {
		blocks = append(blocks, cur)
	}
	return blocks
}

// checkWebVTT checks the blocks after the header: NOTE, STYLE and REGION
// blocks, and cues (an optional identifier line, a timing line with end not
// before start, and text). At least one cue is required.
func checkWebVTT(blocks [][]string) error {
	cues := 0
	for _, b := range blocks {
		first := b[0]
		if !strings.Contains(first, "-->") && (first == "NOTE" || strings.HasPrefix(first, "NOTE ") || strings.HasPrefix(first, "NOTE\t") ||
			(cues == 0 && (first == "STYLE" || first == "REGION"))) {
			continue
		}
		timing := 0
		if !strings.Contains(first, "-->") {
			timing = 1 // a cue identifier
		}
		if timing >= len(b) {
			return ErrMalformedCaptions.Wrap(fmt.Errorf("block %q has no timing", first))
		}
		m := vttTiming.FindStringSubmatch(b[timing])
		if m == nil || !ordered(m[1:5], m[5:9]) {
			return ErrMalformedCaptions.Wrap(fmt.Errorf("bad cue timing %q", b[timing]))
		}
		for _, line := range b[timing+1:] {
			if strings.Contains(line, "-->") {
				return ErrMalformedCaptions.Wrap(fmt.Errorf("cue text %q holds -->", line))
			}
		}
		cues++
	}
	if cues == 0 {
		return ErrMalformedCaptions.Wrap(fmt.Errorf("no cues"))
	}
	return nil
}

// srtToWebVTT converts SRT cues (counter, timing, text lines) to WebVTT:
// the header, then each cue with its counter as identifier and its timing
// written with dots and two-digit hours.
func srtToWebVTT(blocks [][]string) ([]byte, error) {
	if len(blocks) == 0 {
		return nil, ErrMalformedCaptions.Wrap(fmt.Errorf("empty"))
	}
	var out strings.Builder
	out.WriteString("WEBVTT\n")
	for _, b := range blocks {
		if len(b) < 2 || !srtCounter.MatchString(strings.TrimSpace(b[0])) {
			return nil, ErrMalformedCaptions.Wrap(fmt.Errorf("block %q is not an SRT cue", b[0]))
		}
		m := srtTiming.FindStringSubmatch(strings.TrimSpace(b[1]))
		if m == nil || !ordered(m[1:5], m[5:9]) {
			return nil, ErrMalformedCaptions.Wrap(fmt.Errorf("bad SRT timing %q", b[1]))
		}
		fmt.Fprintf(&out, "\n%s\n%s --> %s\n", strings.TrimSpace(b[0]), vttStamp(m[1:5]), vttStamp(m[5:9]))
		for _, line := range b[2:] {
			if strings.Contains(line, "-->") {
				return nil, ErrMalformedCaptions.Wrap(fmt.Errorf("cue text %q holds -->", line))
			}
			out.WriteString(line + "\n")
		}
	}
	return []byte(out.String()), nil
}

// vttStamp writes an SRT timestamp (as matched) the WebVTT way.
func vttStamp(t []string) string {
	return fmt.Sprintf("%s:%s:%s.%s", strings.Repeat("0", 2-len(t[0]))+t[0], t[1], t[2], t[3])
}

// ordered reports whether the timestamp end (hours, minutes, seconds,
// milliseconds as matched; hours may be empty) is not before start.
func ordered(start, end []string) bool {
	return millis(end) >= millis(start)
}

func millis(t []string) int64 {
	var n [4]int64
	for i, s := range t {
		for _, c := range s {
			n[i] = n[i]*10 + int64(c-'0')
		}
	}
	return ((n[0]*60+n[1])*60+n[2])*1000 + n[3]
}
