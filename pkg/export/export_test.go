package export_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/export"
	"github.com/tagflow/tagflow/pkg/queue"
	"github.com/tagflow/tagflow/pkg/tagtog"
)

func TestExporter(t *testing.T) {
	emu := emulator.New(emulator.Config{})
	emu.AddUser("bot", "pw", emulator.RoleAdmin)
	emu.AddProject("acme", "news.v2", []string{"PERSON"}, nil)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	defer emu.Close()
	id, err := emu.ImportText("acme", "news.v2", "a.txt", "Tony Blair & co.", emulator.SourceGUI)
	if err != nil {
		t.Fatal(err)
	}
	saved := `{"annotatable":{"parts":["s1v1"]},"anncomplete":true,"sources":[],"metas":{},"entities":[{"classId":"e_1","part":"s1v1","offsets":[{"start":0,"text":"Tony Blair"}],"confidence":{"state":"","who":["user:ana"],"prob":1},"fields":{},"normalizations":{}}],"relations":[]}`
	if err := emu.Save("acme", "news.v2", id, "master", []byte(saved)); err != nil {
		t.Fatal(err)
	}
	client, err := tagtog.New(tagtog.Config{BaseURL: srv.URL, Username: "bot", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	store, err := export.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	x := export.NewExporter(client, store)
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	delivery := func(status event.Status, source event.Source, doc string) *queue.Delivery {
		env := event.New(at, "acme", "news.v2", doc, "", status, source)
		env.ID = "e-" + string(status) + "-" + string(source)
		return &queue.Delivery{Envelope: env, NumDelivered: 1, MaxDeliver: 8}
	}

	for _, tc := range []struct {
		name  string
		d     *queue.Delivery
		label string
	}{
		{"gui save", delivery(event.StatusUpdated, event.SourceGUI, id), queue.OutcomeAnnotated},
		{"api save", delivery(event.StatusUpdated, event.SourceAPI, id), queue.OutcomeSkipped},
		{"created", delivery(event.StatusCreated, event.SourceGUI, id), queue.OutcomeSkipped},
		{"unknown document", delivery(event.StatusUpdated, event.SourceGUI, "aNope-x.txt"), queue.OutcomeDeadLettered},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := x.Handle(context.Background(), tc.d); got.Label() != tc.label {
				t.Errorf("outcome %v, want %s", got, tc.label)
			}
		})
	}
	b, err := os.ReadFile(store.Path("acme", "news.v2"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(store.Path("acme", "news.v2"), "/acme/news~2Ev2.jsonl") {
		t.Errorf("path %s", store.Path("acme", "news.v2"))
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1:\n%s", len(lines), b)
	}
	var rec export.Record
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.EventID != "e-updated-GUI" || rec.DocID != id || rec.Member != "master" || rec.Source != "GUI" ||
		!rec.SavedAt.Equal(at) || len(rec.Parts) != 1 || rec.Parts[0] != (export.Part{ID: "s1v1", Text: "Tony Blair & co."}) {
		t.Errorf("record %+v", rec)
	}
	if !strings.Contains(string(rec.AnnJSON), `"who":["user:ana"]`) || !strings.Contains(string(rec.AnnJSON), `"anncomplete":true`) {
		t.Errorf("ann_json %s, want the saved annotations", rec.AnnJSON)
	}
}
