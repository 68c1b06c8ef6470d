package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/annotate/builtin"
	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/pipeline"
	"github.com/tagflow/tagflow/pkg/queue"
	"github.com/tagflow/tagflow/pkg/retry"
	"github.com/tagflow/tagflow/pkg/tagtog"
)

const (
	owner   = "acme"
	project = "news"
	user    = "bot"
	pass    = "s3cret-pass"
)

// legend of the test project: entity types get e_1.. in order, labels m_1..
var entityTypes = []string{"PERSON", "ORG", "MONEY"}

type env struct {
	emu    *emulator.Server
	client *tagtog.Client
	url    string
}

func newEnv(tb testing.TB, unit anndoc.Unit) *env {
	tb.Helper()
	emu := emulator.New(emulator.Config{Unit: unit})
	emu.AddUser(user, pass, emulator.RoleAdmin)
	emu.AddProject(owner, project, entityTypes, []string{"Category"})
	srv := httptest.NewServer(emu)
	tb.Cleanup(func() { srv.Close(); _ = emu.Close() })
	client, err := tagtog.New(tagtog.Config{
		BaseURL: srv.URL, Username: user, Password: pass,
		Retry: retry.Policy{Initial: time.Millisecond, Max: 5 * time.Millisecond, Budget: 2 * time.Second},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &env{emu: emu, client: client, url: srv.URL}
}

func newPipeline(tb testing.TB, e *env, unit anndoc.Unit) (*pipeline.Pipeline, *prometheus.Registry) {
	tb.Helper()
	reg := prometheus.NewRegistry()
	p := pipeline.New(pipeline.Config{Model: builtin.ModelName, Unit: unit}, e.client, builtin.New(), pipeline.NewMetrics(reg), nil)
	return p, reg
}

func created(docID string) *event.Envelope {
	ev := event.New(time.Now().Add(-time.Second), owner, project, docID, "", event.StatusCreated, event.SourceGUI)
	return &ev
}

// entity is the part of a pushed entity a test compares.
type entity struct {
	ClassID, Part string
	Start         int
	Text          string
	Who           string
}

func entitiesOf(tb testing.TB, e *env, docID string) (*anndoc.AnnJSON, []entity) {
	tb.Helper()
	doc, err := e.emu.Document(owner, project, docID)
	if err != nil {
		tb.Fatal(err)
	}
	ann, err := anndoc.DecodeAnnJSON(doc.AnnJSON[emulator.Master])
	if err != nil {
		tb.Fatal(err)
	}
	var out []entity
	for _, en := range ann.Entities {
		who := ""
		if en.Confidence != nil && len(en.Confidence.Who) > 0 {
			who = en.Confidence.Who[0]
		}
		out = append(out, entity{en.ClassID, en.Part, en.Offsets[0].Start, en.Offsets[0].Text, who})
	}
	return ann, out
}

func equalEntities(tb testing.TB, got, want []entity) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("got %d entities %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i] != want[i] {
			tb.Errorf("entity %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

const ml = "ml:" + builtin.ModelName

func TestAnnotateTutorialSentence(t *testing.T) {
	e := newEnv(t, anndoc.UTF16)
	p, reg := newPipeline(t, e, anndoc.UTF16)
	id, err := e.emu.ImportText(owner, project, "pypl.txt",
		"Paypal Holdings Inc (PYPL) President and CEO Daniel Schulman Sold $2.7 million of Shares.", emulator.SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Annotate(context.Background(), created(id))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pushed || res.Entities != 3 {
		t.Fatalf("result %+v, want pushed with 3 entities", res)
	}
	ann, got := entitiesOf(t, e, id)
	equalEntities(t, got, []entity{
		{"e_2", "s1v1", 0, "Paypal Holdings Inc", ml},
		{"e_1", "s1v1", 45, "Daniel Schulman", ml},
		{"e_3", "s1v1", 66, "$2.7 million", ml},
	})
	c := ann.Entities[0].Confidence
	if c.State == nil || *c.State != "pre-added" || c.Prob <= 0 || c.Prob > 1 {
		t.Errorf("confidence %+v, want state pre-added and prob in (0,1]", c)
	}
	if n := testutil.ToFloat64(counter(t, reg, "tagflow_entities_total", "PERSON")); n != 1 {
		t.Errorf("tagflow_entities_total{label=PERSON} = %v, want 1", n)
	}
	if n := testutil.CollectAndCount(reg, "tagflow_annotation_latency_seconds"); n != 1 {
		t.Errorf("latency series = %d, want 1", n)
	}
}

func counter(tb testing.TB, reg *prometheus.Registry, name, label string) prometheus.Collector {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetValue() == label {
					return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "x"}, func() float64 { return m.GetCounter().GetValue() })
				}
			}
		}
	}
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "x"}, func() float64 { return 0 })
}

// TestRepeatPushesNothing: a repeated event finds the annotations it would
// push already stored and sends nothing, so a redelivery never doubles
// entities or touches the document again.
func TestRepeatPushesNothing(t *testing.T) {
	e := newEnv(t, anndoc.UTF16)
	p, _ := newPipeline(t, e, anndoc.UTF16)
	id, err := e.emu.ImportText(owner, project, "a.txt", "Tony Blair met Bank of England officials.", emulator.SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	first, err := p.Annotate(context.Background(), created(id))
	if err != nil {
		t.Fatal(err)
	}
	_, before := entitiesOf(t, e, id)
	second, err := p.Annotate(context.Background(), created(id))
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := e.emu.Document(owner, project, id)
	if !first.Pushed || second.Pushed || doc.Pushes != 1 {
		t.Fatalf("pushed %v then %v, emulator counted %d pushes; want true, false, 1", first.Pushed, second.Pushed, doc.Pushes)
	}
	_, after := entitiesOf(t, e, id)
	equalEntities(t, after, before)
	if second.Entities != first.Entities {
		t.Errorf("entities %d then %d", first.Entities, second.Entities)
	}
}

// writeExport lays out a one-document tagtog export in dir.
func writeExport(tb testing.TB, dir, id string, html []byte, ann string) {
	tb.Helper()
	for path, body := range map[string][]byte{
		filepath.Join(dir, "plain.html", "pool", id+".plain.html"):       html,
		filepath.Join(dir, "ann.json", "master", "pool", id+".ann.json"): []byte(ann),
		filepath.Join(dir, "annotations-legend.json"):                    []byte(`{"e_1":"PERSON","e_2":"ORG","e_3":"MONEY","m_1":"Category"}`),
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, body, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestStructuredDocumentKeepsPeoplesWork: entities land in several parts of a
// structured document, and a person's entity (with an entity label), the
// document label, a relation and an earlier run's entity of another model
// survive; this model's stale entity is replaced.
func TestStructuredDocumentKeepsPeoplesWork(t *testing.T) {
	e := newEnv(t, anndoc.UTF16)
	p, _ := newPipeline(t, e, anndoc.UTF16)
	const id = "aStructuredFixture0000000000-article.html"
	html := anndoc.StructuredHTML(id, "article.html", []anndoc.Section{
		{Type: "title", Header: "Microsoft Corp. buys a start-up"},
		{Type: "abstract", Header: "Abstract", Paragraphs: []string{"Mary Jones said the deal was worth $7.5 billion."}},
		{Header: "Details", Paragraphs: []string{"The board of Goldman Sachs approved.", "Nothing here."},
			Figures: []anndoc.Figure{{Header: "Figure 1", Caption: "Tim Cook & Mary Jones in 2019"}}},
	})
	doc, err := anndoc.Parse(html)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, part := range doc.Parts {
		ids = append(ids, part.ID)
	}
	if want := "[s1h1 s2h1 s2p1 s3h1 s3p1 s3p2 s3f1h1 s3f1p1]"; fmtSlice(ids) != want {
		t.Fatalf("parts %v, want %s", ids, want)
	}
	human := `{"annotatable":{"parts":[]},"anncomplete":false,"sources":[],` +
		`"metas":{"m_1":{"value":"business","confidence":{"state":"","who":["user:ana"],"prob":1}}},` +
		`"entities":[` +
		`{"classId":"e_1","part":"s3f1p1","offsets":[{"start":0,"text":"Tim Cook"}],"confidence":{"state":"","who":["user:ana"],"prob":1},"fields":{"f_1":{"value":"CEO","confidence":{"state":"","who":["user:ana"],"prob":1}}},"normalizations":{}},` +
		`{"classId":"e_2","part":"s3p1","offsets":[{"start":13,"text":"Goldman Sachs"}],"confidence":{"state":"pre-added","who":["ml:other-model"],"prob":0.5},"fields":{},"normalizations":{}},` +
		`{"classId":"e_3","part":"s2p1","offsets":[{"start":0,"text":"Mary"}],"confidence":{"state":"pre-added","who":["` + ml + `"],"prob":0.4},"fields":{},"normalizations":{}}],` +
		`"relations":[{"classId":"r_1","type":"linked","directed":false,"entities":["s3f1p1|e_1|0,8","s3p1|e_2|13,26"],"confidence":{"state":"","who":["user:ana"],"prob":1}}]}`
	dir := t.TempDir()
	writeExport(t, dir, id, html, human)
	if _, err := e.emu.LoadExport(owner, project, dir); err != nil {
		t.Fatal(err)
	}
	res, err := p.Annotate(context.Background(), created(id))
	if err != nil {
		t.Fatal(err)
	}
	ann, got := entitiesOf(t, e, id)
	equalEntities(t, got, []entity{
		{"e_2", "s1h1", 0, "Microsoft Corp.", ml},
		{"e_1", "s2p1", 0, "Mary Jones", ml},
		{"e_3", "s2p1", 35, "$7.5 billion", ml},
		{"e_2", "s3p1", 13, "Goldman Sachs", "ml:other-model"},
		{"e_2", "s3p1", 13, "Goldman Sachs", ml},
		{"e_1", "s3f1p1", 0, "Tim Cook", "user:ana"},
		{"e_1", "s3f1p1", 11, "Mary Jones", ml},
	})
	// The model's Tim Cook gives way to the person's; its DATE maps to no
	// entity type of the project and is dropped.
	if res.Entities != 5 || res.Dropped != 1 {
		t.Errorf("result counts %d model entities and %d dropped, want 5 and 1", res.Entities, res.Dropped)
	}
	if fmt.Sprint(res.Labels) != "map[MONEY:1 ORG:2 PERSON:2]" {
		t.Errorf("labels %v, want MONEY 1, ORG 2, PERSON 2 (the model's Tim Cook was not pushed)", res.Labels)
	}
	var metas map[string]struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(ann.Metas, &metas); err != nil || metas["m_1"].Value != "business" {
		t.Errorf("metas %s, want the document label m_1=business kept (err %v)", ann.Metas, err)
	}
	if string(ann.Entities[5].Fields) != `{"f_1":{"value":"CEO","confidence":{"state":"","who":["user:ana"],"prob":1}}}` {
		t.Errorf("person's entity fields = %s", ann.Entities[4].Fields)
	}
	var rel []json.RawMessage
	if err := json.Unmarshal(ann.Relations, &rel); err != nil || len(rel) != 1 {
		t.Errorf("relations %s, want the one relation kept", ann.Relations)
	}
}

func fmtSlice(s []string) string { return "[" + strings.Join(s, " ") + "]" }

// TestOffsetUnits: an emoji before an entity counts two UTF-16 code units and
// one code point; the emulator, configured with the same unit, accepts the push.
func TestOffsetUnits(t *testing.T) {
	const text = "😀 Daniel Schulman paid €5 million to Acme Holdings Inc."
	for _, tc := range []struct {
		unit       anndoc.Unit
		person     int
		money, org int
	}{
		{anndoc.UTF16, 3, 24, 38},
		{anndoc.CodePoint, 2, 23, 37},
	} {
		t.Run(tc.unit.String(), func(t *testing.T) {
			e := newEnv(t, tc.unit)
			p, _ := newPipeline(t, e, tc.unit)
			id, err := e.emu.ImportText(owner, project, "emoji.txt", text, emulator.SourceAPI)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Annotate(context.Background(), created(id)); err != nil {
				t.Fatal(err)
			}
			_, got := entitiesOf(t, e, id)
			equalEntities(t, got, []entity{
				{"e_1", "s1v1", tc.person, "Daniel Schulman", ml},
				{"e_3", "s1v1", tc.money, "€5 million", ml},
				{"e_2", "s1v1", tc.org, "Acme Holdings Inc.", ml},
			})
		})
	}
}

// TestClassify maps failures to the event's fate.
func TestClassify(t *testing.T) {
	e := newEnv(t, anndoc.UTF16)
	p, _ := newPipeline(t, e, anndoc.UTF16)
	_, err := p.Annotate(context.Background(), created("aUnknown0000000000000000000-x.txt"))
	if got := pipeline.Classify(err); got.Label() != queue.OutcomeDeadLettered || !containsReason(got, pipeline.ReasonNotFound) {
		t.Errorf("unknown document: %v (err %v), want dead letter %s", got, err, pipeline.ReasonNotFound)
	}

	// A server that answers with HTML that is not a tagtog document.
	notAnndoc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/-api/settings/v1/annotationsLegend":
			_, _ = w.Write([]byte(`{"e_1":"PERSON"}`))
		case r.URL.Query().Get("output") == "ann.json":
			_, _ = w.Write([]byte(`{}`))
		default:
			_, _ = w.Write([]byte(`<html><body><p>Just a page</p></body></html>`))
		}
	}))
	defer notAnndoc.Close()
	c, _ := tagtog.New(tagtog.Config{BaseURL: notAnndoc.URL, Username: user, Password: pass})
	p2 := pipeline.New(pipeline.Config{}, c, builtin.New(), nil, nil)
	_, err = p2.Annotate(context.Background(), created("aX-x.txt"))
	if !errors.Is(err, anndoc.ErrNotAnndoc) || !containsReason(pipeline.Classify(err), pipeline.ReasonNotAnndoc) {
		t.Errorf("not anndoc: err %v, outcome %v", err, pipeline.Classify(err))
	}

	transient := &tagtog.StatusError{Op: "push", Code: 503, RetryAfter: 7 * time.Second}
	if got := pipeline.Classify(retry.WithRetryAfter(errors.Join(retry.ErrBudgetExhausted, transient), 7*time.Second)); got.Label() != queue.OutcomeRetried {
		t.Errorf("budget exhausted: %v, want retried", got)
	}
	if got := pipeline.Classify(context.Canceled); got.Label() != queue.OutcomeRetried {
		t.Errorf("cancelled: %v, want retried", got)
	}
}

func containsReason(o queue.Outcome, reason string) bool {
	return o.Label() == queue.OutcomeDeadLettered && strings.Contains(o.String(), reason)
}

// TestHandleSkipsUpdated: an updated event is never annotated.
func TestHandleSkipsUpdated(t *testing.T) {
	e := newEnv(t, anndoc.UTF16)
	p, _ := newPipeline(t, e, anndoc.UTF16)
	id, _ := e.emu.ImportText(owner, project, "u.txt", "Tony Blair spoke.", emulator.SourceAPI)
	ev := event.New(time.Now(), owner, project, id, "", event.StatusUpdated, event.SourceGUI)
	got := p.Handle(context.Background(), &queue.Delivery{Envelope: ev, NumDelivered: 1, MaxDeliver: 8})
	doc, _ := e.emu.Document(owner, project, id)
	if got.Label() != queue.OutcomeSkipped || doc.Pushes != 0 {
		t.Errorf("outcome %v with %d pushes, want skipped with 0", got, doc.Pushes)
	}
}

// TestRerunKeepsPeoplesDecisions: after the model's push, a person confirms
// one suggestion, rejects another and relabels a third in tagtog's editor.
// Running the event again (a redelivery, a redrive, a backfill) changes
// nothing and pushes nothing.
func TestRerunKeepsPeoplesDecisions(t *testing.T) {
	e := newEnv(t, anndoc.UTF16)
	p, _ := newPipeline(t, e, anndoc.UTF16)
	id, err := e.emu.ImportText(owner, project, "pypl.txt",
		"Paypal Holdings Inc (PYPL) President and CEO Daniel Schulman Sold $2.7 million of Shares.", emulator.SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Annotate(context.Background(), created(id)); err != nil {
		t.Fatal(err)
	}
	// The person's save: ORG relabelled as PERSON (e_1), PERSON confirmed,
	// MONEY rejected.
	saved := `{"annotatable":{"parts":["s1v1"]},"anncomplete":false,"sources":[],"metas":{},"entities":[` +
		`{"classId":"e_1","part":"s1v1","offsets":[{"start":0,"text":"Paypal Holdings Inc"}],"confidence":{"state":"","who":["user:ana"],"prob":1},"fields":{},"normalizations":{}},` +
		`{"classId":"e_1","part":"s1v1","offsets":[{"start":45,"text":"Daniel Schulman"}],"confidence":{"state":"","who":["` + ml + `","user:ana"],"prob":1},"fields":{},"normalizations":{}},` +
		`{"classId":"e_3","part":"s1v1","offsets":[{"start":66,"text":"$2.7 million"}],"confidence":{"state":"pre-removed","who":["` + ml + `"],"prob":0.95},"fields":{},"normalizations":{}}` +
		`],"relations":[]}`
	if err := e.emu.Save(owner, project, id, emulator.Master, []byte(saved)); err != nil {
		t.Fatal(err)
	}
	res, err := p.Annotate(context.Background(), created(id))
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := e.emu.Document(owner, project, id)
	if res.Pushed || doc.Pushes != 1 {
		t.Errorf("re-run pushed %v (emulator pushes %d), want nothing pushed after the first push", res.Pushed, doc.Pushes)
	}
	_, got := entitiesOf(t, e, id)
	equalEntities(t, got, []entity{
		{"e_1", "s1v1", 0, "Paypal Holdings Inc", "user:ana"},
		{"e_1", "s1v1", 45, "Daniel Schulman", ml},
		{"e_3", "s1v1", 66, "$2.7 million", ml},
	})
}
