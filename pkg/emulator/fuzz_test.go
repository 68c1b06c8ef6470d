package emulator

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzParseQuery checks that any search query either compiles or fails with
// errBadQuery, and that a compiled matcher never panics.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"*", "docid:a*", `filename:"x y.txt"`, "folder:0", "anncomplete:true AND members_anncomplete:*", "a:", ":", "docid:*?*"} {
		f.Add(s)
	}
	d := &document{id: "aAbc-text.txt", filename: "text.txt", folder: "pool/sub", versions: map[string]version{}}
	f.Fuzz(func(t *testing.T, q string) {
		m, err := parseQuery(q)
		if err != nil {
			return
		}
		m(d)
	})
}

// FuzzPost sends arbitrary multipart bodies as anndoc pushes: the answer is
// 200, 400 or 413, never a panic or a 5xx.
func FuzzPost(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"a.plain.html\"; filename=\"a.plain.html\"\r\n\r\n<html id=\"x\"><body><pre id=\"s1v1\">hi</pre></body></html>\r\n--B\r\nContent-Disposition: form-data; name=\"a.ann.json\"; filename=\"a.ann.json\"\r\n\r\n{\"entities\":[{\"classId\":\"e_1\",\"part\":\"s1v1\",\"offsets\":[{\"start\":0,\"text\":\"hi\"}]}]}\r\n--B--\r\n"), "anndoc")
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"a.txt\"; filename=\"a.txt\"\r\n\r\nhello\r\n--B--\r\n"), "")
	s := New(Config{})
	defer s.Close()
	s.AddUser("u", "p", RoleAdmin)
	s.AddProject("o", "p", []string{"PERSON"}, nil)
	f.Fuzz(func(t *testing.T, body []byte, format string) {
		req := httptest.NewRequest(http.MethodPost, "/-api/documents/v1?owner=o&project=p&output=null&format="+url.QueryEscape(format), bytes.NewReader(body))
		req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		req.SetBasicAuth("u", "p")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}
