package emulator_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/emulator"
)

func postForm(tb testing.TB, u string, v url.Values) resp {
	tb.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(u, v)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp{code: res.StatusCode, header: res.Header, body: string(b)}
}

func TestWebPage(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	rc := newReceiver(t, http.StatusOK)
	if err := e.srv.SetWebhook(owner, proj, emulator.Webhook{URL: rc.ts.URL, OnlyGUI: true}); err != nil {
		t.Fatal(err)
	}
	r := postForm(t, e.ts.URL+"/-emulator/ui/upload", url.Values{"owner": {owner}, "project": {proj}, "filename": {"memo"}, "text": {memoText}})
	if r.code != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/-emulator/ui/doc?id=a") {
		t.Fatalf("upload %d %q", r.code, r.header.Get("Location"))
	}
	loc, _ := url.Parse(r.header.Get("Location"))
	id := loc.Query().Get("id")
	if !strings.HasSuffix(id, "-memo.txt") {
		t.Fatalf("id %q", id)
	}
	waitWebhooks(t, e.srv, 1)

	save := func(ann string) resp {
		return postForm(t, e.ts.URL+"/-emulator/ui/save", url.Values{"owner": {owner}, "project": {proj}, "id": {id}, "member": {""}, "annjson": {ann}})
	}
	if r := save(memoAnn); r.code != http.StatusSeeOther {
		t.Fatalf("save %d %q", r.code, r.body)
	}
	r = get(t, e.ts.URL+loc.String())
	wantCode(t, r, 200)
	for _, want := range []string{
		`<mark style="background:#ffd54f" title="e_1 PERSON">Jane Doe</mark> joined <mark style="background:#81d4fa" title="e_2 ORG">Acme &amp; Co</mark> in Berlin.`,
		`pushes 0, saves in the editor 1`,
	} {
		if !strings.Contains(r.body, want) {
			t.Fatalf("document page lacks %q:\n%s", want, r.body)
		}
	}
	r = save(strings.Replace(memoAnn, `"start":16`, `"start":17`, 1))
	if r.code != 400 || !strings.Contains(r.body, "entity 1 (classId e_2, part s1v1)") {
		t.Fatalf("bad save %d %q", r.code, r.body)
	}
	st := waitWebhooks(t, e.srv, 2)
	if st.Delivered != 2 || e.srv.Stats().GUISaves != 1 {
		t.Fatalf("stats %+v", e.srv.Stats())
	}
	reqs := rc.requests()
	got := []string{reqs[0].Status + " " + reqs[0].Source, reqs[1].Status + " " + reqs[1].Source}
	if got[0] != "created GUI" || got[1] != "updated GUI" {
		t.Fatalf("deliveries %v", got)
	}
	d, _ := e.srv.Document(owner, proj, id)
	if string(d.AnnJSON["master"]) != memoAnn || d.Updates != 1 || d.Pushes != 0 {
		t.Fatalf("document %+v", d)
	}

	r = get(t, e.ts.URL+"/")
	if r.code != 200 || !strings.Contains(r.body, id) || !strings.Contains(r.body, "1 documents") {
		t.Fatalf("index %d %s", r.code, r.body)
	}
	if r := get(t, e.ts.URL+"/nope"); r.code != 404 {
		t.Fatalf("unknown page %d", r.code)
	}
	// A browser asking for the default output gets the page, a script the URL.
	req, _ := http.NewRequest(http.MethodGet, e.docURL("ids", id), nil)
	req.SetBasicAuth(botUser, botPass)
	req.Header.Set("User-Agent", "Mozilla/5.0")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Content-Type") != "text/html; charset=UTF-8" {
		t.Fatalf("browser visualize %q", res.Header.Get("Content-Type"))
	}
}
