package emulator_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/emulator"
)

func TestWebhookDelivery(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("hook:wh-s3cret"))
	tests := []struct {
		name    string
		hook    emulator.Webhook
		want    []string // "status source" of each delivery, sorted
		withAnn bool
	}{
		{"all sources", emulator.Webhook{Format: "tagtogID", User: "hook", Password: "wh-s3cret"},
			[]string{"created API", "created GUI", "updated API"}, false},
		{"only GUI", emulator.Webhook{OnlyGUI: true, User: "hook", Password: "wh-s3cret"},
			[]string{"created GUI"}, false},
		{"ann.json format", emulator.Webhook{Format: "ann.json"},
			[]string{"created API", "created GUI", "updated API"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{})
			rc := newReceiver(t, http.StatusNoContent)
			tc.hook.URL = rc.ts.URL + "/hooks/tagtog"
			if err := e.srv.SetWebhook(owner, proj, tc.hook); err != nil {
				t.Fatal(err)
			}
			guiID, err := e.srv.ImportText(owner, proj, "gui.txt", "Jane Doe", emulator.SourceGUI)
			if err != nil {
				t.Fatal(err)
			}
			waitWebhooks(t, e.srv, 1)
			apiID := e.postText(t, "Jane Doe again").Items[0].TagtogID
			html := get(t, e.docURL("ids", apiID, "output", "plain.html")).body
			ann := `{"entities":[{"classId":"e_1","part":"s1v1","offsets":[{"start":0,"text":"Jane Doe"}]}]}`
			wantCode(t, e.push(t, "anndoc", []filePart{{apiID + ".plain.html", []byte(html)}, {apiID + ".ann.json", []byte(ann)}}), 200)

			st := waitWebhooks(t, e.srv, len(tc.want))
			if st != (emulator.WebhookStats{Fired: len(tc.want), Delivered: len(tc.want)}) {
				t.Fatalf("stats %+v", st)
			}
			reqs := rc.requests()
			var got []string
			for _, r := range reqs {
				got = append(got, r.Status+" "+r.Source)
				if r.Method != http.MethodPost || r.ContentType != "application/json" {
					t.Errorf("request %+v", r)
				}
				if tc.hook.User != "" && r.Auth != basic {
					t.Errorf("Authorization %q, want %q", r.Auth, basic)
				}
				if tc.hook.User == "" && r.Auth != "" {
					t.Errorf("unexpected Authorization %q", r.Auth)
				}
				if tc.withAnn {
					if !strings.HasPrefix(r.Body, `{"annotatable":{"parts":["s1v1"]}`) {
						t.Errorf("ann.json payload %s", r.Body)
					}
					continue
				}
				var p map[string]string
				if err := json.Unmarshal([]byte(r.Body), &p); err != nil {
					t.Fatal(err)
				}
				wantID := apiID
				if r.Source == "GUI" {
					wantID = guiID
				}
				want := map[string]string{"owner": owner, "project": proj, "tagtogID": wantID, "docid": wantID, "member": "master"}
				if len(p) != len(want) || p["owner"] != owner || p["project"] != proj || p["tagtogID"] != wantID || p["docid"] != wantID || p["member"] != "master" {
					t.Errorf("payload %s", r.Body)
				}
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("deliveries %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWebhookFailuresAndRetries(t *testing.T) {
	tests := []struct {
		name      string
		retries   int
		wantCalls int
	}{
		{"one attempt by default", 0, 1},
		{"retries", 2, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{WebhookRetries: tc.retries, WebhookRetryDelay: 1})
			rc := newReceiver(t, http.StatusInternalServerError)
			if err := e.srv.SetWebhook(owner, proj, emulator.Webhook{URL: rc.ts.URL}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.srv.ImportText(owner, proj, "", "x", emulator.SourceAPI); err != nil {
				t.Fatal(err)
			}
			st := waitWebhooks(t, e.srv, 1)
			if st != (emulator.WebhookStats{Fired: 1, Failed: 1}) || len(rc.requests()) != tc.wantCalls {
				t.Fatalf("stats %+v, calls %d", st, len(rc.requests()))
			}
		})
	}
}

func TestFireAllBulk(t *testing.T) {
	// A queue smaller than the number of documents: FireAll waits for room.
	e := newEnv(t, emulator.Config{WebhookQueue: 16, WebhookWorkers: 4})
	const n = 500
	for i := range n {
		if _, err := e.srv.ImportText(owner, proj, "", "doc "+string(rune('a'+i%26)), emulator.SourceAPI); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.srv.FireAll(context.Background(), owner, proj); !errors.Is(err, emulator.ErrNoWebhook) {
		t.Fatalf("FireAll without webhook: %v", err)
	}
	rc := newReceiver(t, http.StatusOK)
	// Only-GUI: the API imports above fired nothing; FireAll fires as GUI.
	if err := e.srv.SetWebhook(owner, proj, emulator.Webhook{URL: rc.ts.URL, OnlyGUI: true}); err != nil {
		t.Fatal(err)
	}
	r := do(t, http.MethodPost, e.ts.URL+"/-emulator/fire?"+url.Values{"owner": {owner}, "project": {proj}}.Encode(), nil, "", false)
	if r.code != 200 || r.body != `{"fired":500}` {
		t.Fatalf("%d %q", r.code, r.body)
	}
	st := waitWebhooks(t, e.srv, n)
	if st != (emulator.WebhookStats{Fired: n, Delivered: n}) || len(rc.requests()) != n {
		t.Fatalf("stats %+v, received %d", st, len(rc.requests()))
	}
	seen := map[string]bool{}
	for _, r := range rc.requests() {
		var p struct{ TagtogID string }
		_ = json.Unmarshal([]byte(r.Body), &p)
		if r.Status != "created" || r.Source != "GUI" || seen[p.TagtogID] {
			t.Fatalf("delivery %+v", r)
		}
		seen[p.TagtogID] = true
	}
	ids, _ := e.srv.DocumentIDs(owner, proj)
	if err := e.srv.FireCreated(owner, proj, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.FireCreated(owner, proj, "nope"); !errors.Is(err, emulator.ErrNoDocument) {
		t.Fatalf("FireCreated unknown: %v", err)
	}
	waitWebhooks(t, e.srv, n+1)
}

func TestWebhookQueueFullDrops(t *testing.T) {
	block := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer hook.Close()
	e := newEnv(t, emulator.Config{WebhookQueue: 2, WebhookWorkers: 1})
	if err := e.srv.SetWebhook(owner, proj, emulator.Webhook{URL: hook.URL}); err != nil {
		t.Fatal(err)
	}
	// 1 in flight (once the worker picks it up) + 2 queued; the rest are dropped
	// without blocking the imports.
	for range 10 {
		if _, err := e.srv.ImportText(owner, proj, "", "x", emulator.SourceAPI); err != nil {
			t.Fatal(err)
		}
	}
	st := e.srv.Stats().Webhooks
	if st.Fired+st.Dropped != 10 || st.Fired < 2 || st.Fired > 3 {
		t.Fatalf("stats %+v", st)
	}
	close(block)
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	st = e.srv.Stats().Webhooks
	if st.Pending != 0 || st.Fired != st.Delivered+st.Failed+(st.Dropped-(10-st.Fired)) {
		t.Fatalf("after close %+v", st)
	}
	if _, err := e.srv.ImportText(owner, proj, "", "after close", emulator.SourceAPI); err != nil {
		t.Fatal(err)
	}
	if got := e.srv.Stats().Webhooks.Dropped; got != st.Dropped+1 {
		t.Fatalf("dropped after close %d, want %d", got, st.Dropped+1)
	}
}
