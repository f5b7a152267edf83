package media

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

func TestToWebVTTConvertsSRT(t *testing.T) {
	srt := "\xEF\xBB\xBF1\r\n00:00:01,000 --> 00:00:04,250\r\nHello, world.\r\nSecond line\r\n\r\n" +
		"2\r\n0:01:02,5 --> 0:01:03,000\r\n\r\n" + // bad: two-digit milliseconds
		""
	if _, err := ToWebVTT([]byte(srt)); !errors.Is(err, ErrMalformedCaptions) {
		t.Errorf("SRT with a bad timing: %v, want ErrMalformedCaptions", err)
	}
	srt = "1\r\n00:00:01,000 --> 00:00:04,250\r\nHello, world.\r\nSecond line\r\n\r\n" +
		"2\n1:01:02.500 --> 1:01:03,000 X1:10 X2:20\n<i>Italic</i>\n"
	got, err := ToWebVTT([]byte(srt))
	if err != nil {
		t.Fatal(err)
	}
	want := "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.250\nHello, world.\nSecond line\n\n" +
		"2\n01:01:02.500 --> 01:01:03.000\n<i>Italic</i>\n"
	if string(got) != want {
		t.Errorf("converted:\n%s\nwant:\n%s", got, want)
	}
	// What it produces is WebVTT that it accepts as it is.
	if again, err := ToWebVTT(got); err != nil || !bytes.Equal(again, got) {
		t.Errorf("the converted file read back: %v\n%s", err, again)
	}
}

func TestToWebVTTKeepsWebVTT(t *testing.T) {
	vtt := "WEBVTT - a title\nKind: captions\n\nSTYLE\n::cue { color: lime }\n\nNOTE a comment\n\n" +
		"intro\n00:01.000 --> 00:04.000 align:start line:0\nHi\n\n" +
		"00:00:05.000 --> 00:00:06.000\n- Bye\n"
	got, err := ToWebVTT([]byte(strings.ReplaceAll(vtt, "\n", "\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != vtt {
		t.Errorf("got\n%q\nwant\n%q", got, vtt)
	}
}

func TestToWebVTTRefusesMalformed(t *testing.T) {
	for name, data := range map[string]string{
		"empty":                  "",
		"blank":                  "\n\n  \n",
		"WebVTT without cues":    "WEBVTT\n\nNOTE nothing here\n",
		"WebVTT bad timing":      "WEBVTT\n\n00:01.000 -> 00:02.000\nx\n",
		"WebVTT seconds over 59": "WEBVTT\n\n00:61.000 --> 00:62.000\nx\n",
		"WebVTT end before":      "WEBVTT\n\n00:05.000 --> 00:04.000\nx\n",
		"WebVTT SRT commas":      "WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nx\n",
		"WebVTT id, no timing":   "WEBVTT\n\nan id only\n",
		"WEBVTTX header":         "WEBVTTX\n\n00:01.000 --> 00:02.000\nx\n",
		"SRT no counter":         "00:00:01,000 --> 00:00:02,000\nx\n",
		"SRT no timing":          "1\nHello\n",
		"SRT arrow in text":      "1\n00:00:01,000 --> 00:00:02,000\na --> b\n",
		"plain prose":            "Once upon a time\nthere was a file.\n",
		"HTML":                   "<!doctype html><html><body>x</body></html>",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ToWebVTT([]byte(data)); !errors.Is(err, ErrMalformedCaptions) {
				t.Errorf("ToWebVTT = %v, want ErrMalformedCaptions", err)
			}
		})
	}
	for name, data := range map[string][]byte{
		"PNG":         pngBytes(t),
		"NUL bytes":   []byte("WEBVTT\n\n00:01.000 --> 00:02.000\nx\x00\n"),
		"not UTF-8":   []byte("WEBVTT\n\n00:01.000 --> 00:02.000\n\xff\xfe\n"),
		"UTF-16 text": []byte("\xff\xfeW\x00E\x00B\x00"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ToWebVTT(data); !errors.Is(err, ErrUnsupportedType) {
				t.Errorf("ToWebVTT = %v, want ErrUnsupportedType", err)
			}
		})
	}
}

func TestSaveCaption(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newTestStore(t, Config{MaxCaptionBytes: 200, URLTTL: time.Minute, Now: func() time.Time { return now }})
	obj, err := s.SaveCaption(t.Context(), strings.NewReader("1\n00:00:01,000 --> 00:00:02,000\nHi\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(obj.Key, "captions/") || !strings.HasSuffix(obj.Key, ".vtt") || obj.ContentType != "text/vtt; charset=utf-8" {
		t.Errorf("object %+v", obj)
	}
	big := "WEBVTT\n\n00:01.000 --> 00:02.000\n" + strings.Repeat("x", 200) + "\n"
	if _, err := s.SaveCaption(t.Context(), strings.NewReader(big)); !apperr.Is(err, apperr.TooLarge) {
		t.Errorf("a file over the cap: %v, want TooLarge", err)
	}
	if _, err := s.VideoURL(t.Context(), obj.Key); err == nil {
		t.Errorf("VideoURL signed a caption key")
	}
	link, err := s.CaptionURL(t.Context(), obj.Key)
	if err != nil {
		t.Fatal(err)
	}
	h := handler(s.Store)
	serve := func(u string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
		return rec
	}
	rec := serve(link)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/vtt; charset=utf-8" ||
		rec.Body.String() != "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nHi\n" {
		t.Errorf("signed link: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	if rec := serve("/media/" + obj.Key); rec.Code != http.StatusForbidden {
		t.Errorf("unsigned: %d, want 403", rec.Code)
	}
	now = now.Add(time.Minute)
	if rec := serve(link); rec.Code != http.StatusForbidden {
		t.Errorf("expired: %d, want 403", rec.Code)
	}
}

// Players read a WebVTT file only when it starts with the WEBVTT line (after
// an optional byte order mark): blank lines before it, which the parser
// skips, are not stored.
func TestToWebVTTStartsWithItsHeader(t *testing.T) {
	got, err := ToWebVTT([]byte("\xEF\xBB\xBF\r\n\n \t\nWEBVTT\n\n00:01.000 --> 00:02.000\nHi\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
