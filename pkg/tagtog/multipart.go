package tagtog

import (
	"bytes"
	"mime/multipart"
	"net/textproto"
	"strings"
)

// formNameEscaper escapes a multipart name or filename the way browsers
// (the WHATWG form-data encoding) and python-requests do: '"', CR and LF are
// percent-encoded, everything else (a backslash, non-ASCII) is sent raw.
// tagtog's own web editor uploads with this encoding, so its server accepts
// it. Go's mime/multipart would backslash-escape '"' and '\' instead.
var formNameEscaper = strings.NewReplacer(`"`, "%22", "\r", "%0D", "\n", "%0A")

func escapeFormName(s string) string { return formNameEscaper.Replace(s) }

// anndocBody builds the multipart body of an anndoc push: a part
// "<id>.plain.html" with plainHTML byte for byte, then "<id>.ann.json" with
// annJSON, each with the same form name and filename and no Content-Type,
// as tagtog's demo client sends them.
func anndocBody(id string, plainHTML, annJSON []byte) (body []byte, contentType string) {
	var buf bytes.Buffer
	buf.Grow(len(plainHTML) + len(annJSON) + 4*len(id) + 512)
	w := multipart.NewWriter(&buf)
	for _, p := range [...]struct {
		name string
		data []byte
	}{
		{id + ".plain.html", plainHTML},
		{id + ".ann.json", annJSON},
	} {
		n := escapeFormName(p.name)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+n+`"; filename="`+n+`"`)
		pw, _ := w.CreatePart(h) // writes to a bytes.Buffer cannot fail
		_, _ = pw.Write(p.data)
	}
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}
